using System.Net;
using System.Net.Sockets;
using SocketServer.Internal;

namespace SocketServer.Internal.Unix;

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
            throw Fail(SocketError.AddressAlreadyInUse, NotASocket(_path, found.Kind));
        }

        SocketError probe = UnixSocketProbe.Connect(_path, _socketType);
        switch (probe)
        {
            case SocketError.ConnectionRefused:
                // Unlink only the file we probed: if it was replaced meanwhile, leave the new one to its owner.
                if (ReadStatus() is { Kind: UnixFileKind.Socket } again && again.IsSameFile(found))
                {
                    RemoveStale();
                    RemovedStaleFile = true;
                }

                break;
            case SocketError.Success or SocketError.WouldBlock or SocketError.InProgress or SocketError.TryAgain:
                throw Fail(SocketError.AddressAlreadyInUse, Live(_path));
            default:
                throw Fail(probe, $"cannot tell whether a server is listening on '{_path}' (connecting gave {probe}); it was left untouched: remove it yourself if no server uses it.");
        }
    }

    /// <summary>Whether <see cref="BeforeBind"/> removed a stale socket file (so the caller may say so).</summary>
    public bool RemovedStaleFile { get; private set; }

    /// <summary>
    /// Why a bind of <paramref name="path"/> failed with EADDRINUSE, told apart as the stale check does: something that
    /// is not a socket, a live server's socket, or a stale socket file; each with what to do. Connects to a socket
    /// file to tell (a live stream server sees one connection that closes at once, as with the stale check).
    /// </summary>
    /// <returns>The explanation, or <see langword="null"/> when it cannot be told (not Linux, or the probe was unsure).</returns>
    public static string? ExplainExisting(string path, SocketType socketType)
    {
        UnixFileStatus? status;
        try
        {
            status = UnixFileStatus.IsSupported ? UnixFileStatus.Read(path) : null;
        }
        catch (IOException)
        {
            return null;
        }

        if (status is not { } found)
        {
            return null;
        }

        if (found.Kind != UnixFileKind.Socket)
        {
            return NotASocket(path, found.Kind);
        }

        return UnixSocketProbe.Connect(path, socketType) switch
        {
            SocketError.ConnectionRefused => $"'{path}' is a stale socket file (no server listens on it); remove it and start again.",
            SocketError.Success or SocketError.WouldBlock or SocketError.InProgress or SocketError.TryAgain => Live(path),
            _ => null,
        };
    }

    /// <summary>Why a bind of <paramref name="path"/> failed with EACCES: the directory's permissions, not a port's.</summary>
    public static string ExplainAccessDenied(string path)
    {
        string directory = Path.GetDirectoryName(Path.GetFullPath(path)) ?? "/";
        return $"permission denied: this user may not create a file in the directory '{directory}'; choose a path in a directory it can write to.";
    }

    private static string NotASocket(string path, UnixFileKind kind) =>
        $"'{path}' is {Describe(kind)}, not a socket; it was left untouched: remove it or choose another path.";

    private static string Live(string path) => $"another server is listening on '{path}'; stop it or choose another path.";

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
        catch (IOException e) when (e.HResult == 13)
        {
            // EACCES: a directory on the way may not be searched by this user.
            throw Fail(SocketError.AccessDenied, ExplainAccessDenied(_path!));
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
