using System.Net;
using System.Net.Sockets;

namespace SocketServer.Internal;

/// <summary>
/// The opt-in socket-file handling shared by <see cref="UnixStreamServer"/> and <see cref="UnixDatagramServer"/>:
/// stale-file recovery before bind, mode and group right after it, and removal of our own file on close.
/// With every option at its default it does nothing at all, so the faithful behaviour is untouched.
/// </summary>
/// <remarks>
/// Abstract names (a leading NUL, Linux) have no file: there is nothing to recover, chmod, chown or remove.
/// </remarks>
internal sealed class UnixSocketBinder
{
    private readonly IUnixSocketFileOptions _options;
    private readonly EndPoint _address;
    private readonly SocketType _socketType;
    private readonly string? _path;
    private string? _createdPath;
    private UnixFileStatus _created;

    public UnixSocketBinder(IUnixSocketFileOptions options, EndPoint address, SocketType socketType)
    {
        _options = options;
        _address = address;
        _socketType = socketType;
        _path = UnixAddress.FilePath(address);
    }

    /// <summary>With <see cref="IUnixSocketFileOptions.RecoverStaleSocketFile"/>, removes a stale socket file at the path.</summary>
    /// <exception cref="ServerBindException">The path is live, is not a socket, or cannot be examined.</exception>
    public void BeforeBind()
    {
        if (!_options.RecoverStaleSocketFile || _path is null)
        {
            return;
        }

        if (!UnixFileStatus.IsSupported)
        {
            if (File.Exists(_path) || Directory.Exists(_path))
            {
                throw Fail(SocketError.AddressAlreadyInUse, $"'{_path}' exists, and checking whether it is a stale socket is implemented for Linux only; it was left untouched.");
            }

            return;
        }

        if (ReadStatus() is not { } found)
        {
            return;
        }

        if (found.Kind != UnixFileKind.Socket)
        {
            throw Fail(SocketError.AddressAlreadyInUse, $"'{_path}' is {Describe(found.Kind)}, not a socket; it was left untouched.");
        }

        SocketError probe = UnixSocketProbe.Connect(_path, _socketType);
        switch (probe)
        {
            case SocketError.ConnectionRefused:
                // Unlink only the file we probed: if it was replaced meanwhile, leave the new one to its owner.
                if (ReadStatus() is { Kind: UnixFileKind.Socket } again && again.IsSameFile(found))
                {
                    RemoveStale();
                }

                break;
            case SocketError.Success or SocketError.WouldBlock or SocketError.InProgress or SocketError.TryAgain:
                throw Fail(SocketError.AddressAlreadyInUse, $"another server is listening on '{_path}'.");
            default:
                throw Fail(probe, $"cannot tell whether a server is listening on '{_path}' (connecting gave {probe}); it was left untouched.");
        }
    }

    /// <summary>Remembers the file the bind created (for removal on close), then applies the group and the mode.</summary>
    /// <exception cref="ServerBindException">The group or the mode could not be applied.</exception>
    public void AfterBind()
    {
        if (_path is null)
        {
            return;
        }

        if (_options.RemoveSocketFileOnClose && UnixFileStatus.IsSupported && ReadStatus() is { Kind: UnixFileKind.Socket } created)
        {
            _created = created;
            Volatile.Write(ref _createdPath, _path);
        }

        if (_options.SocketFileGroup is { } group)
        {
            ApplyGroup(group);
        }

        if (_options.SocketFileMode is { } mode)
        {
            ApplyMode(mode);
        }
    }

    /// <summary>
    /// Removes the file the bind created, if it is still that very socket (same device and inode): a file put
    /// there by someone else since is never touched. Runs once; never throws.
    /// </summary>
    public void AfterClose()
    {
        string? path = Interlocked.Exchange(ref _createdPath, null);
        if (path is null)
        {
            return;
        }

        try
        {
            if (UnixFileStatus.Read(path) is { Kind: UnixFileKind.Socket } now && now.IsSameFile(_created))
            {
                File.Delete(path);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Closing must not fail over a file we cannot remove; it stays, as it would by default.
        }
    }

    private void RemoveStale()
    {
        try
        {
            File.Delete(_path!);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Fail(SocketError.AccessDenied, $"'{_path}' is a stale socket file but cannot be removed: {e.Message}");
        }
    }

    private void ApplyGroup(string group)
    {
        try
        {
            UnixGroup.Apply(_path!, group);
        }
        catch (ArgumentException)
        {
            throw Fail(SocketError.InvalidArgument, $"cannot give '{_path}' the group '{group}': no such group.");
        }
        catch (Exception e) when (e is IOException or PlatformNotSupportedException)
        {
            throw Fail(SocketError.AccessDenied, $"cannot give '{_path}' the group '{group}': {e.Message}");
        }
    }

    private void ApplyMode(UnixFileMode mode)
    {
        string octal = Convert.ToString((int)mode, 8).PadLeft(4, '0');
        if (OperatingSystem.IsWindows())
        {
            throw Fail(SocketError.OperationNotSupported, $"cannot set the mode of '{_path}' to {octal}: Windows has no Unix file modes.");
        }

        try
        {
            File.SetUnixFileMode(_path!, mode);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Fail(SocketError.AccessDenied, $"cannot set the mode of '{_path}' to {octal}: {e.Message}");
        }
    }

    private UnixFileStatus? ReadStatus()
    {
        try
        {
            return UnixFileStatus.Read(_path!);
        }
        catch (IOException e)
        {
            throw Fail(SocketError.AccessDenied, e.Message);
        }
    }

    private ServerBindException Fail(SocketError error, string explanation) =>
        new(_address, _socketType, error, explanation);

    private static string Describe(UnixFileKind kind) => kind switch
    {
        UnixFileKind.RegularFile => "a regular file",
        UnixFileKind.Directory => "a directory",
        UnixFileKind.SymbolicLink => "a symbolic link",
        _ => "a special file (a FIFO or a device)",
    };
}
