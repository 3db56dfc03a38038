namespace SocketServer.Internal.Proxy;

/// <summary>Where parsing a PROXY header stands.</summary>
internal enum ProxyParseStatus
{
    /// <summary>What came so far may begin a valid header: wait for more.</summary>
    Incomplete,

    /// <summary>A whole, valid header.</summary>
    Complete,

    /// <summary>Not a valid header (the connection must be closed).</summary>
    Invalid,
}
