namespace SocketServer.Hosting;

/// <summary>
/// The socket files of a hosted server's Unix endpoints (<c>unix:PATH</c>, <c>unix-dgram:PATH</c>): the configuration's
/// <c>Unix</c> section. A service restarts and is killed, so unlike Python's defaults a stale file is recovered and the
/// file is removed on stop, as the <c>socketserver</c> command does.
/// </summary>
public sealed class SocketServerUnixOptions
{
    /// <summary>
    /// Whether a stale socket file at the path (left by a process that was killed) is removed before binding, once a
    /// connection to it is refused; <see langword="true"/> by default. A live server's file is never touched.
    /// See <see cref="UnixStreamServer.RecoverStaleSocketFile"/>.
    /// </summary>
    public bool RecoverStaleSocketFile { get; set; } = true;

    /// <summary>
    /// Whether the socket file is removed when the server stops (if it is still the one it created);
    /// <see langword="true"/> by default. See <see cref="UnixStreamServer.RemoveSocketFileOnClose"/>.
    /// </summary>
    public bool RemoveSocketFileOnClose { get; set; } = true;

    /// <summary>
    /// The socket file's permissions (configuration: octal, such as <c>"0660"</c>); <see langword="null"/> (the default)
    /// keeps the umask's. See <see cref="UnixStreamServer.SocketFileMode"/>.
    /// </summary>
    public UnixFileMode? SocketFileMode { get; set; }

    /// <summary>
    /// The socket file's group, a name or a decimal id; <see langword="null"/> (the default) keeps the process's.
    /// See <see cref="UnixStreamServer.SocketFileGroup"/>.
    /// </summary>
    public string? SocketFileGroup { get; set; }
}
