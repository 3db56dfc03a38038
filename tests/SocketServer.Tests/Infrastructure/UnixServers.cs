using SocketServer.Protocols;

namespace SocketServer.Tests.Infrastructure;

/// <summary>Builds echo servers of the four Unix kinds with <see cref="SocketFileSettings"/>, bound and activated.</summary>
internal static class UnixServers
{
    public static TheoryData<ServerKind> Kinds =>
        [ServerKind.UnixStream, ServerKind.ThreadingUnixStream, ServerKind.UnixDatagram, ServerKind.ThreadingUnixDatagram];

    /// <summary>Creates the server unbound, applies <paramref name="settings"/>, then binds and activates it.</summary>
    public static TcpServer Create(ServerKind kind, string path, SocketFileSettings? settings = null)
    {
        TcpServer server = kind switch
        {
            ServerKind.UnixStream => new UnixStreamServer<EchoStreamHandler>(path, bindAndActivate: false),
            ServerKind.ThreadingUnixStream => new ThreadingUnixStreamServer<EchoStreamHandler>(path, bindAndActivate: false),
            ServerKind.UnixDatagram => new UnixDatagramServer<EchoDatagramHandler>(path, bindAndActivate: false),
            ServerKind.ThreadingUnixDatagram => new ThreadingUnixDatagramServer<EchoDatagramHandler>(path, bindAndActivate: false),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        settings ??= new SocketFileSettings();
        switch (server)
        {
            case UnixStreamServer stream:
                stream.RecoverStaleSocketFile = settings.Recover;
                stream.RemoveSocketFileOnClose = settings.RemoveOnClose;
                stream.SocketFileMode = settings.Mode;
                stream.SocketFileGroup = settings.Group;
                break;
            case UnixDatagramServer datagram:
                datagram.RecoverStaleSocketFile = settings.Recover;
                datagram.RemoveSocketFileOnClose = settings.RemoveOnClose;
                datagram.SocketFileMode = settings.Mode;
                datagram.SocketFileGroup = settings.Group;
                break;
        }

        try
        {
            server.ServerBind();
            server.ServerActivate();
            return server;
        }
        catch
        {
            // What the constructor does when bindAndActivate is true.
            server.ServerClose();
            throw;
        }
    }

    /// <summary>Leaves a stale socket file at <paramref name="path"/>: a server that closed without removing it, as after kill -9.</summary>
    public static void LeaveStaleFile(ServerKind kind, string path)
    {
        Create(kind, path).ServerClose();
        Assert.True(File.Exists(path));
    }

    /// <summary>One echo round trip with the running server.</summary>
    public static void AssertServes(ServerKind kind, TcpServer server, TempDirectory clientDirectory)
    {
        byte[] message = "ping\n"u8.ToArray();
        using var runner = new ServerRunner(server);
        byte[] reply = kind.IsDatagram()
            ? Clients.DatagramRoundTrip(server.ServerAddress, message, clientDirectory)
            : Clients.StreamRoundTrip(server.ServerAddress, message, message.Length);
        Assert.Equal(message, reply);
        runner.Stop();
    }

    public static void SkipUnlessLinux()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Skip("socket-file status, groups and abstract names are implemented for Linux only");
        }
    }
}
