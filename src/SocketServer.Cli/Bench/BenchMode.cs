namespace SocketServer.Cli.Bench;

/// <summary>The load patterns of <c>socketserver bench</c>.</summary>
internal enum BenchMode
{
    /// <summary>One message in flight per connection: send, read the echo, verify, repeat.</summary>
    PingPong,

    /// <summary>Several messages in flight per connection, with writes and reads overlapped.</summary>
    Pipeline,

    /// <summary>Each worker loops: connect, one round trip, close.</summary>
    ConnRate,

    /// <summary>One datagram in flight per socket, with a receive timeout counted as a loss.</summary>
    Udp,

    /// <summary>Connections opened and held for the duration.</summary>
    Idle,
}
