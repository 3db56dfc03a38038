namespace SocketServer.Cli;

/// <summary>The protocols the <c>serve</c> command offers.</summary>
internal enum ServeProtocol
{
    /// <summary>Echo (RFC 862): everything received is sent back.</summary>
    Echo,

    /// <summary>
    /// Echo with the other handler shape on streams (<c>serve echo --handler raw</c>): the request socket's own
    /// receive and send instead of RFile and WFile. Datagrams are echoed as by <see cref="Echo"/>.
    /// </summary>
    RawEcho,

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
