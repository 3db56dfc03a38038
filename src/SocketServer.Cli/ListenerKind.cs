namespace SocketServer.Cli;

/// <summary>The four kinds of listener, one per command-line option.</summary>
internal enum ListenerKind
{
    /// <summary>A TCP listener (<c>--tcp HOST:PORT</c>).</summary>
    Tcp,

    /// <summary>A UDP listener (<c>--udp HOST:PORT</c>).</summary>
    Udp,

    /// <summary>A Unix-domain stream listener (<c>--unix PATH</c>).</summary>
    Unix,

    /// <summary>A Unix-domain datagram listener (<c>--unix-dgram PATH</c>).</summary>
    UnixDatagram,
}
