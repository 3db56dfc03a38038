using System.Net;
using System.Net.Sockets;
using SocketServer.Internal;
using SocketServer.Internal.Dispatch;
using SocketServer.Internal.Unix;

namespace SocketServer;

/// <summary>A synchronous Unix-domain stream server; Python's <c>socketserver.UnixStreamServer</c>.</summary>
/// <remarks>
/// By default, like Python, it never removes its socket file: binding to an existing path fails, and
/// <see cref="TcpServer.ServerClose"/> leaves the file behind. <see cref="RecoverStaleSocketFile"/> and
/// <see cref="RemoveSocketFileOnClose"/> opt in to safe clean-up; <see cref="SocketFileMode"/> and
/// <see cref="SocketFileGroup"/> set who may connect. A client that did not bind its own socket has an
/// empty address. SO_REUSEPORT is never set on Unix sockets.
/// </remarks>
public class UnixStreamServer : TcpServer, IUnixSocketFileOptions
{
    /// <summary>Creates the server and, by default, binds and starts listening.</summary>
    /// <param name="serverAddress">A <see cref="UnixDomainSocketEndPoint"/>.</param>
    /// <param name="requestHandlerFactory">Creates one handler per connection.</param>
    /// <param name="bindAndActivate">Whether to bind and listen now.</param>
    /// <exception cref="ServerBindException">The path could not be bound.</exception>
    public UnixStreamServer(EndPoint serverAddress, Func<BaseRequestHandler> requestHandlerFactory, bool bindAndActivate = true)
        : base(serverAddress, requestHandlerFactory, bindAndActivate, SynchronousDispatcher.Instance)
    {
    }

    /// <summary>Creates the server on a socket path and, by default, binds and starts listening.</summary>
    /// <param name="path">The socket file's path (on Linux, a leading NUL names an abstract socket).</param>
    /// <param name="requestHandlerFactory">Creates one handler per connection.</param>
    /// <param name="bindAndActivate">Whether to bind and listen now.</param>
    /// <exception cref="ServerBindException">The path could not be bound.</exception>
    public UnixStreamServer(string path, Func<BaseRequestHandler> requestHandlerFactory, bool bindAndActivate = true)
        : this(new UnixDomainSocketEndPoint(path), requestHandlerFactory, bindAndActivate)
    {
    }

    private protected UnixStreamServer(EndPoint serverAddress, Func<BaseRequestHandler> requestHandlerFactory, bool bindAndActivate, RequestDispatcher dispatcher)
        : base(serverAddress, requestHandlerFactory, bindAndActivate, dispatcher)
    {
    }

    /// <inheritdoc/>
    public override AddressFamily AddressFamily => AddressFamily.Unix;

    /// <summary>
    /// Whether <see cref="TcpServer.ServerBind"/> removes a stale socket file left at the path (by a server that was
    /// killed, say) before binding; <see langword="false"/> by default, as Python never unlinks anything.
    /// </summary>
    /// <remarks>
    /// <para>
    /// May be overridden. Read by <see cref="TcpServer.ServerBind"/>. When something exists at the path: if it is a
    /// socket, the server connects to it without sending anything (with a socket of its own type, or of the other
    /// type if the file belongs to one). Refused means nobody owns it: the file is unlinked and the bind goes on. A
    /// live owner, or anything that is not a socket (a regular file, a directory, a symbolic link), is left untouched
    /// and the bind fails with a <see cref="ServerBindException"/> that names the path and the reason.
    /// </para>
    /// <para>
    /// The risks: a live stream server on the path sees one connection that closes at once. A stream server that has
    /// bound but is not listening yet refuses connections just as a dead one does, so its file counts as stale: do
    /// not let two starting servers race for one path. The check and the unlink are separate steps, so a server
    /// that binds the path between them wins and this bind fails. Linux only for now:
    /// elsewhere an existing path fails the bind as by default, untouched. Abstract names have no file.
    /// </para>
    /// </remarks>
    public virtual bool RecoverStaleSocketFile { get; set; }

    /// <summary>
    /// Whether <see cref="TcpServer.ServerClose"/> removes the socket file this server created;
    /// <see langword="false"/> by default, as Python leaves it behind.
    /// </summary>
    /// <remarks>
    /// May be overridden. Read by <see cref="TcpServer.ServerBind"/>, which records the file's device and inode.
    /// The file is removed only while it is still that very socket: a file someone else has put at the path since is
    /// never touched. A failure to remove it is ignored (the file stays, as by default). The risk is small: a process
    /// that kept using the path after this server closed loses it. Linux only for now; elsewhere the file stays.
    /// Abstract names have no file.
    /// </remarks>
    public virtual bool RemoveSocketFileOnClose { get; set; }

    /// <summary>
    /// The permissions given to the socket file right after binding (for example 0660, so the group may connect);
    /// <see langword="null"/> by default, which leaves the mode the process umask made.
    /// </summary>
    /// <remarks>
    /// May be overridden. Read by <see cref="TcpServer.ServerBind"/>. Connecting to a Unix socket needs write
    /// permission on its file. The umask is process-wide, so the mode is set with chmod after the bind: until then
    /// the file has the umask's mode. A stream server cannot accept connections yet (it is not listening), but a
    /// datagram server can receive in that instant. A failure fails the bind with a <see cref="ServerBindException"/>.
    /// Ignored for abstract names; not supported on Windows.
    /// </remarks>
    public virtual UnixFileMode? SocketFileMode { get; set; }

    /// <summary>
    /// The group given to the socket file right after binding, as a group name or a decimal group id (a name is
    /// looked up first, as chown does); <see langword="null"/> by default, which leaves the process's group.
    /// </summary>
    /// <remarks>
    /// May be overridden. Read by <see cref="TcpServer.ServerBind"/>, which applies it before
    /// <see cref="SocketFileMode"/>. Only the group changes, never the owner; a process that is not root may only
    /// choose a group it belongs to. An unknown group or a refused change fails the bind with a
    /// <see cref="ServerBindException"/>. Ignored for abstract names; Linux only for now.
    /// </remarks>
    public virtual string? SocketFileGroup { get; set; }
}
