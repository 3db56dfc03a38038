namespace SocketServer;

/// <summary>Which versions of the PROXY protocol header a listener accepts.</summary>
[Flags]
public enum ProxyProtocolVersions
{
    /// <summary>The text header (<c>PROXY TCP4 ...\r\n</c>), HAProxy's <c>send-proxy</c>.</summary>
    V1 = 1,

    /// <summary>The binary header with TLVs, HAProxy's <c>send-proxy-v2</c>.</summary>
    V2 = 2,

    /// <summary>Either, told apart by their first bytes (HAProxy's <c>accept-proxy</c> does the same).</summary>
    Any = V1 | V2,
}
