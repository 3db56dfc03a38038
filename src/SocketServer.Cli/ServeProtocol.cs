namespace SocketServer.Cli;

/// <summary>The protocols the <c>serve</c> command offers.</summary>
internal enum ServeProtocol
{
    /// <summary>Echo (RFC 862): everything received is sent back.</summary>
    Echo,

    /// <summary>Discard (RFC 863): everything received is thrown away; nothing is sent.</summary>
    Discard,

    /// <summary>Daytime (RFC 867): the local time in one line (ctime format), then the connection closes.</summary>
    Daytime,

    /// <summary>Character generator (RFC 864): lines of the printable ASCII ring, without end on streams.</summary>
    Chargen,

    /// <summary>Time (RFC 868): the seconds since 1900 as 4 big-endian bytes, then the connection closes.</summary>
    Time,

    /// <summary>The seed's timestamp protocol: each line or datagram comes back behind <c>[ctime]</c>.</summary>
    Timestamp,
}
