using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace SocketEcho;

/// <summary>
/// Usage: SocketEcho TCP_PORT [UDP_PORT]. Port 0 picks a free port; without UDP_PORT there is no UDP listener.
/// Prints <c>listening on tcp://127.0.0.1:PORT</c> (and <c>udp://</c>) once bound, then serves until SIGINT or SIGTERM.
/// </summary>
/// <remarks>
/// Written the way the .NET documentation teaches: an accept loop, one async task per connection with
/// <see cref="Socket.ReceiveAsync(Memory{byte}, SocketFlags, CancellationToken)"/> and
/// <see cref="Socket.SendAsync(ReadOnlyMemory{byte}, SocketFlags, CancellationToken)"/>, and one receive-from loop
/// for UDP. Nothing tuned beyond Nagle off.
/// </remarks>
internal static class Program
{
    private const int BufferSize = 16384;

    private static async Task<int> Main(string[] args)
    {
        if (args.Length is < 1 or > 2)
        {
            await Console.Error.WriteLineAsync("usage: SocketEcho TCP_PORT [UDP_PORT]").ConfigureAwait(false);
            return 2;
        }

        using var stopping = new CancellationTokenSource();
        using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);

        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture)));
        listener.Listen(4096);
        Socket? udp = null;
        if (args.Length == 2)
        {
            udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            udp.Bind(new IPEndPoint(IPAddress.Loopback, int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture)));
        }

        Console.WriteLine($"listening on tcp://{listener.LocalEndPoint}");
        if (udp is not null)
        {
            Console.WriteLine($"listening on udp://{udp.LocalEndPoint}");
        }

        Console.Out.Flush();
        Task udpLoop = udp is null ? Task.CompletedTask : EchoDatagramsAsync(udp, stopping.Token);
        await AcceptAsync(listener, stopping.Token).ConfigureAwait(false);
        udp?.Dispose();
        await udpLoop.ConfigureAwait(false);
        return 0;

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stopping.Cancel();
        }
    }

    private static async Task AcceptAsync(Socket listener, CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            Socket connection;
            try
            {
                connection = await listener.AcceptAsync(stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            connection.NoDelay = true;
            _ = EchoAsync(connection, stopping);
        }
    }

    private static async Task EchoAsync(Socket connection, CancellationToken stopping)
    {
        using (connection)
        {
            byte[] buffer = new byte[BufferSize];
            try
            {
                int read;
                while ((read = await connection.ReceiveAsync(buffer, SocketFlags.None, stopping).ConfigureAwait(false)) > 0)
                {
                    await connection.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, stopping).ConfigureAwait(false);
                }
            }
            catch (Exception exception) when (exception is SocketException or OperationCanceledException)
            {
                // The client reset the connection, or the server is stopping: either way this connection is done.
            }
        }
    }

    private static async Task EchoDatagramsAsync(Socket udp, CancellationToken stopping)
    {
        byte[] buffer = new byte[65536];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                SocketReceiveFromResult received = await udp.ReceiveFromAsync(buffer, SocketFlags.None, any, stopping).ConfigureAwait(false);
                await udp.SendToAsync(buffer.AsMemory(0, received.ReceivedBytes), SocketFlags.None, received.RemoteEndPoint, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SocketException)
            {
                // An ICMP "port unreachable" from a client that went away surfaces here on the next receive; go on.
            }
        }
    }
}
