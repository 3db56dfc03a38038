using System.Net;
using System.Net.Sockets;
using SocketServer.Internal.Limits;

namespace SocketServer.Tests.Infrastructure;

/// <summary>A server serving in one <see cref="ServeMode"/>, from <see cref="ServeModes.Start"/>; disposing it stops and closes it.</summary>
internal sealed class ModeServer : IDisposable
{
    private bool _stopped;

    public ModeServer(ServeMode mode, TcpServer server, ServerProbe probe, Task serving)
    {
        Mode = mode;
        Server = server;
        Probe = probe;
        Serving = serving;
    }

    public ServeMode Mode { get; }

    public TcpServer Server { get; }

    public ServerProbe Probe { get; }

    /// <summary>Completes when the serve run has ended (ServeForever returned, or ServeAsync's task completed).</summary>
    public Task Serving { get; }

    public EndPoint Address => Server.ServerAddress;

    public ConnectionTracker Tracker => Server.Connections;

    /// <summary>Waits until exactly <paramref name="count"/> connections are open and returns them.</summary>
    public List<ConnectionState> WaitForConnections(int count)
    {
        Eventually.True(() => Tracker.Count == count, $"{count} open connections (there are {Tracker.Count})");
        return Tracker.Snapshot();
    }

    /// <summary>Moves the fake clock on one heartbeat at a time, so each interval gets its sweep (inside the call).</summary>
    public void AdvanceSeconds(int seconds)
    {
        for (int i = 0; i < seconds; i++)
        {
            Probe.Clock.Advance(TimeSpan.FromSeconds(1));
        }
    }

    /// <summary>A client sends a line and gets it back.</summary>
    public void AssertServesAGoodClient()
    {
        using Socket good = Clients.ConnectStream(Address);
        RoundTrip(good, "good client\n");
    }

    public static void RoundTrip(Socket socket, string line)
    {
        byte[] bytes = System.Text.Encoding.ASCII.GetBytes(line);
        socket.Send(bytes);
        Assert.Equal(bytes, Clients.ReceiveAtLeast(socket, bytes.Length));
    }

    /// <summary>The server ended the connection: the client reads the end of the stream or a reset, never data.</summary>
    public static void AssertClosedByServer(Socket socket)
    {
        try
        {
            Assert.Empty(Clients.ReceiveToEnd(socket));
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            // Bytes the server had not read when it closed make the kernel send a reset instead of the end of stream.
        }
    }

    /// <summary>Stops serving (Shutdown from another thread, as a handler thread never may), waits for the run to end, closes.</summary>
    public void Stop()
    {
        _stopped = true;
        Assert.True(Task.Run(Server.Shutdown).Wait(TestTimeouts.Long), "Shutdown did not return");
        Assert.True(Serving.Wait(TestTimeouts.Long), $"the {Mode} serve run did not end after Shutdown");
        Server.ServerClose();
    }

    public void Dispose()
    {
        if (!_stopped)
        {
            // A failed test: stop without asserting, so the failure that matters is the one reported.
            _ = Task.Run(Server.Shutdown).Wait(TestTimeouts.Long);
        }

        Server.ServerClose();
        Server.Dispose();
        Probe.Dispose();
    }
}
