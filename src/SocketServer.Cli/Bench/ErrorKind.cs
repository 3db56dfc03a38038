namespace SocketServer.Cli.Bench;

/// <summary>The kinds of error the load generator counts.</summary>
internal enum ErrorKind
{
    /// <summary>A connection could not be opened (refused, unreachable).</summary>
    Connect,

    /// <summary>The server reset or closed a connection that should have stayed open.</summary>
    Reset,

    /// <summary>An echoed byte differed from the byte sent, or a reply had the wrong length.</summary>
    Mismatch,

    /// <summary>A reply did not come in time (a lost datagram in udp mode).</summary>
    Timeout,

    /// <summary>Any other socket error.</summary>
    Other,
}
