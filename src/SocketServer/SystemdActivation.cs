using System.Globalization;
using System.Net.Sockets;
using SocketServer.Internal;
using SocketServer.Internal.Systemd;

namespace SocketServer;

/// <summary>
/// systemd socket activation: the listening sockets a socket unit (or <c>systemd-socket-activate</c>) passed to this
/// process, as <c>sd_listen_fds(3)</c> reads them. Give each to a server with <see cref="TcpServer.AdoptSocket"/>.
/// </summary>
/// <example>
/// <code>
/// foreach (SystemdSocket passed in SystemdActivation.TakeListenSockets())
/// {
///     var server = new ThreadingTcpServer&lt;EchoHandler&gt;(new IPEndPoint(IPAddress.Any, 0), bindAndActivate: false);
///     server.AdoptSocket(passed.Socket);
///     ...
/// }
/// </code>
/// </example>
public static class SystemdActivation
{
    /// <summary>The first passed descriptor, <c>SD_LISTEN_FDS_START</c>.</summary>
    public const int FirstDescriptor = ListenEnvironment.FirstDescriptor;

    /// <summary>
    /// Whether this process was started by socket activation: <c>LISTEN_PID</c> names it and <c>LISTEN_FDS</c> is set.
    /// False once <see cref="TakeListenSockets"/> has run (it unsets the variables).
    /// </summary>
    public static bool IsActivated =>
        Environment.GetEnvironmentVariable(ListenEnvironment.ListenFds) is not null
        && Environment.GetEnvironmentVariable(ListenEnvironment.ListenPid) is { } pid
        && pid == Environment.ProcessId.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Reads <c>LISTEN_PID</c>, <c>LISTEN_FDS</c> and <c>LISTEN_FDNAMES</c>, unsets them (so that child processes do not
    /// take the sockets for theirs, as <c>sd_listen_fds(1)</c> does), and returns the passed sockets from descriptor 3 on.
    /// </summary>
    /// <returns>The sockets in the socket unit's order, each named from <c>LISTEN_FDNAMES</c> (or <c>unknown</c>).</returns>
    /// <remarks>
    /// Each descriptor must be a TCP, UDP, Unix stream or Unix datagram socket, bound; a stream socket must be
    /// listening (a socket unit with <c>Accept=yes</c> passes a connection instead, which is refused here). The
    /// descriptors are marked close-on-exec. The variables are removed from .NET's environment, which processes started
    /// with <see cref="System.Diagnostics.Process"/> inherit (native <c>getenv</c> still sees them).
    /// </remarks>
    /// <exception cref="SystemdActivationException">
    /// The variables are missing, name another process, or are malformed; or a descriptor is not such a socket. Nothing
    /// was adopted then: the descriptors are left open as they were.
    /// </exception>
    public static IReadOnlyList<SystemdSocket> TakeListenSockets()
    {
        string? listenPid = Environment.GetEnvironmentVariable(ListenEnvironment.ListenPid);
        string? listenFds = Environment.GetEnvironmentVariable(ListenEnvironment.ListenFds);
        string? listenFdNames = Environment.GetEnvironmentVariable(ListenEnvironment.ListenFdNames);
        Environment.SetEnvironmentVariable(ListenEnvironment.ListenPid, null);
        Environment.SetEnvironmentVariable(ListenEnvironment.ListenFds, null);
        Environment.SetEnvironmentVariable(ListenEnvironment.ListenFdNames, null);

        IReadOnlyList<string> names = ListenEnvironment.Parse(listenPid, listenFds, listenFdNames, Environment.ProcessId);
        List<SystemdSocket> sockets = [];
        try
        {
            for (int i = 0; i < names.Count; i++)
            {
                sockets.Add(Open(FirstDescriptor + i, names[i]));
            }
        }
        catch
        {
            // Leave every descriptor as it came: the caller reports the problem and exits, nothing half-adopted.
            foreach (SystemdSocket socket in sockets)
            {
                socket.Socket.SafeHandle.SetHandleAsInvalid();
            }

            throw;
        }

        return sockets;
    }

    private static SystemdSocket Open(int descriptor, string name)
    {
        string which = string.Create(CultureInfo.InvariantCulture, $"descriptor {descriptor} ('{name}')");
        var handle = new SafeSocketHandle(descriptor, ownsHandle: true);
        Socket socket;
        try
        {
            socket = new Socket(handle);
            // .NET wraps a descriptor that is no socket (a file, a pipe) as a socket of unknown family: ask for SO_TYPE,
            // which fails with ENOTSOCK on those, as sd_is_socket does.
            _ = socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Type);
        }
        catch (SocketException e)
        {
            handle.SetHandleAsInvalid();
            throw new SystemdActivationException($"{which} is not a socket: {e.Message}.", e);
        }

        string? problem = socket switch
        {
            { AddressFamily: not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6 or AddressFamily.Unix) } =>
                $"is a {socket.AddressFamily} socket; only TCP, UDP and Unix sockets can be served",
            { SocketType: not (SocketType.Stream or SocketType.Dgram) } =>
                $"is a {socket.SocketType} socket; only stream and datagram sockets can be served",
            { SocketType: SocketType.Stream } when !ListenSocket.IsListening(socket) =>
                "is a stream socket that is not listening (a socket unit with Accept=yes passes one connection; use Accept=no)",
            { LocalEndPoint: null } => "is not bound",
            _ => null,
        };
        if (problem is not null)
        {
            handle.SetHandleAsInvalid();
            throw new SystemdActivationException($"{which} {problem}.");
        }

        if (OperatingSystem.IsLinux())
        {
            // sd_listen_fds sets FD_CLOEXEC too: a worker or tool this process starts must not hold the listener open.
            _ = LibC.SetCloseOnExec(descriptor);
        }

        return new SystemdSocket(descriptor, name, socket);
    }
}
