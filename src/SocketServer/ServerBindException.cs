using System.Net;
using System.Net.Sockets;
using SocketServer.Internal;
using SocketServer.Internal.Unix;

namespace SocketServer;

/// <summary>
/// A server could not bind its address. The message names the address, the likely cause and what to do; the
/// <see cref="SocketException.SocketErrorCode"/> is the operating system's, so existing
/// <c>catch (SocketException)</c> code keeps working.
/// </summary>
/// <remarks>
/// When a Unix socket path already exists, the message says what is there: something that is not a socket, a live
/// server's socket, or a stale socket file nobody listens on. Telling the last two apart connects to the file once, as
/// <see cref="UnixStreamServer.RecoverStaleSocketFile"/> does (a live stream server sees one connection that closes at
/// once, before any byte). A path's permission error names the directory, not privileged ports.
/// </remarks>
public sealed class ServerBindException : SocketException
{
    private readonly string _message;

    /// <summary>Creates the exception for a failed bind of <paramref name="endPoint"/>.</summary>
    /// <param name="endPoint">The address that could not be bound.</param>
    /// <param name="socketType">The socket's type, which decides the scheme shown (tcp, udp, unix, unix-dgram).</param>
    /// <param name="inner">The operating system's error.</param>
    public ServerBindException(EndPoint endPoint, SocketType socketType, SocketException inner)
        : base((int)(inner ?? throw new ArgumentNullException(nameof(inner))).SocketErrorCode)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        EndPoint = endPoint;
        Address = EndPointFormatter.Format(endPoint, socketType);
        _message = $"Cannot bind {Address}: {Explain(endPoint, socketType, inner)}";
    }

    /// <summary>Creates the exception for a bind refused before or after the system call, with its own explanation.</summary>
    internal ServerBindException(EndPoint endPoint, SocketType socketType, SocketError error, string explanation)
        : base((int)error)
    {
        EndPoint = endPoint;
        Address = EndPointFormatter.Format(endPoint, socketType);
        _message = $"Cannot bind {Address}: {explanation}";
    }

    /// <summary>The address that could not be bound.</summary>
    public EndPoint EndPoint { get; }

    /// <summary>The address as a URI, for example <c>tcp://127.0.0.1:10001</c>.</summary>
    public string Address { get; }

    /// <inheritdoc/>
    public override string Message => _message;

    private static string Explain(EndPoint endPoint, SocketType socketType, SocketException inner)
    {
        if (endPoint is UnixDomainSocketEndPoint unix && !UnixAddress.IsAbstract(unix))
        {
            string path = unix.ToString();
            string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
            if (directory is not null && !Directory.Exists(directory))
            {
                return $"the directory '{directory}' does not exist.";
            }

            // A path's failures are about files and directories, never about ports.
            switch (inner.SocketErrorCode)
            {
                case SocketError.AddressAlreadyInUse:
                    return UnixSocketBinder.ExplainExisting(path, socketType)
                        ?? $"the path '{path}' already exists (a live server, or a stale socket file to remove).";
                case SocketError.AccessDenied:
                    return UnixSocketBinder.ExplainAccessDenied(path);
            }
        }

        return inner.SocketErrorCode switch
        {
            SocketError.AddressAlreadyInUse => "the address is already in use (another server listens on it).",
            SocketError.AddressNotAvailable => "the address is not one of this machine's.",
            SocketError.AccessDenied => "permission denied (ports below 1024 need privileges).",
            _ => inner.Message,
        };
    }
}
