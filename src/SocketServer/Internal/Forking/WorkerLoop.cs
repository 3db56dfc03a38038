using System.Net;
using System.Net.Sockets;
using SocketServer.Internal.Requests;

namespace SocketServer.Internal.Forking;

/// <summary>
/// The worker process's side: connect to the parent, then serve each handed-over request exactly as Python's
/// forked child does (<c>finish_request</c>, <c>handle_error</c> for ordinary exceptions, <c>shutdown_request</c>
/// in <c>finally</c>), reporting a status byte after each.
/// </summary>
internal static class WorkerLoop
{
    /// <summary>Serves until the parent closes the channel; returns the exit status (the last request's).</summary>
    public static int Run(BaseServer server, WorkerEnvironment role)
    {
        using var channel = new Socket(AddressFamily.Unix, SocketType.Seqpacket, ProtocolType.Unspecified);
        channel.Connect(new UnixDomainSocketEndPoint(role.ControlPath));
        ParentWatch.Start(channel);
        channel.Send(ChannelMessages.Hello(role.Token, Environment.ProcessId));
        byte[] buffer = new byte[ChannelMessages.MaxMessageSize];
        int read = channel.Receive(buffer);
        if (read > 0 && ChannelMessages.ReadWelcome(buffer.AsSpan(0, read), server.ServerAddress) is { } address)
        {
            server.SetServerAddress(address);
        }

        int status = 0;
        while (true)
        {
            read = DescriptorPassing.Receive(channel, buffer, out int descriptor);
            if (read == 0)
            {
                return status;
            }

            (byte kind, EndPoint? client, byte[] packet) = ChannelMessages.ReadRequest(buffer.AsSpan(0, read), server.ServerAddress);
            var socket = new Socket(new SafeSocketHandle(descriptor, ownsHandle: true));
            object request = kind == ChannelMessages.DatagramRequest ? new DatagramRequest(packet, socket) : socket;
            if (kind == ChannelMessages.StreamRequest && packet.Length > 0)
            {
                AttachProxyHeader(server, socket, packet);
            }

            (status, bool exitNow) = Serve(server, request, client, channel);
            if (kind == ChannelMessages.DatagramRequest)
            {
                // Our duplicate of the server's socket; closing it leaves the parent's open.
                socket.Dispose();
            }

            if (exitNow)
            {
                return status;
            }
        }
    }

    /// <summary>The PROXY header the parent read and checked before handing the connection over, parsed again here.</summary>
    private static void AttachProxyHeader(BaseServer server, Socket socket, byte[] header)
    {
        EndPoint? proxy;
        try
        {
            proxy = socket.RemoteEndPoint;
        }
        catch (Exception e) when (SocketErrors.IsSocketLevel(e))
        {
            proxy = null;
        }

        if (Proxy.ProxyHeaderParser.Parse(header, ProxyProtocolVersions.Any, proxy, out _, out ProxyHeader? parsed, out _) == Proxy.ProxyParseStatus.Complete)
        {
            server.AttachProxyHeader(socket, parsed!);
        }
    }

    /// <summary>
    /// The request pipeline's second half, as Python's forked child runs it. The status goes to the parent before the
    /// request is ended, so by the time a client can send its next request the parent already knows this worker is
    /// free (or leaving: it leaves after a <see cref="ServerExitException"/>, which Python's child swallows into exit
    /// status 1, or after <c>HandleError</c> or <c>ShutdownRequest</c> threw).
    /// </summary>
    private static (int Status, bool ExitNow) Serve(BaseServer server, object request, EndPoint? client, Socket channel)
    {
        FinishResult result = server.Pipeline.Finish(request, client, (outcome, escaped) =>
            channel.Send([ChannelMessages.Status(outcome == RequestOutcome.Completed ? 0 : 1, escaped)]));
        return (result.Outcome == RequestOutcome.Completed && result.Escaped is null ? 0 : 1, result.Escaped is not null);
    }
}
