namespace SocketServer.Cli;

/// <summary>The protocols the <c>serve</c> command offers.</summary>
internal enum ServeProtocol
{
    /// <summary>Echo (RFC 862): everything received is sent back.</summary>
    Echo,

    /// <summary>The seed's timestamp protocol: each line or datagram comes back behind <c>[ctime]</c>.</summary>
    Timestamp,
}
