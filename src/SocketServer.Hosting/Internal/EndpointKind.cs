namespace SocketServer.Hosting.Internal;

/// <summary>The four kinds of endpoint, one per scheme.</summary>
internal enum EndpointKind
{
    /// <summary><c>tcp://HOST:PORT</c>.</summary>
    Tcp,

    /// <summary><c>udp://HOST:PORT</c>.</summary>
    Udp,

    /// <summary><c>unix:PATH</c>: a Unix-domain stream socket.</summary>
    Unix,

    /// <summary><c>unix-dgram:PATH</c>: a Unix-domain datagram socket.</summary>
    UnixDatagram,
}
