using System.Net;
using System.Net.Sockets;

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

    private static (int Status, bool ExitNow) Serve(BaseServer server, object request, EndPoint? client, Socket channel)
    {
        int status = 1;
        bool exitNow = false;
        try
        {
            try
            {
                server.InvokeFinishRequest(request, client);
                status = 0;
            }
            catch (Exception e) when (e is not ServerExitException)
            {
                server.InvokeHandleError(request, client, e);
            }
            catch (ServerExitException)
            {
                // Python's child swallows SystemExit into exit status 1; this worker takes no more requests.
                exitNow = true;
            }
            finally
            {
                // The status goes to the parent before the client sees the connection end, so by the time a client
                // can send its next request, the parent already knows this worker is free (or leaving).
                channel.Send([ChannelMessages.Status(status, exitNow)]);
                server.InvokeShutdownRequest(request);
            }
        }
        catch (Exception)
        {
            // Anything from HandleError or ShutdownRequest ends the worker too, with status 1.
            return (1, true);
        }

        return (status, exitNow);
    }
}
