using System.Net;
using System.Net.Sockets;

namespace SocketServer.Cli.Bench;

/// <summary>The server to load: <c>tcp://HOST:PORT</c>, <c>udp://HOST:PORT</c> or <c>unix:PATH</c>.</summary>
/// <param name="Text">The target as written on the command line.</param>
/// <param name="Kind">The kind of socket: TCP, UDP or Unix stream.</param>
/// <param name="EndPoint">The address to connect to.</param>
internal sealed record BenchTarget(string Text, ListenerKind Kind, EndPoint EndPoint)
{
    private const string Option = "--target";

    /// <summary>Creates a socket of the target's kind, not yet connected.</summary>
    /// <returns>The socket.</returns>
    public Socket CreateSocket() => Kind switch
    {
        ListenerKind.Udp => new Socket(EndPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp),
        ListenerKind.Unix => new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified),
        _ => new Socket(EndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true },
    };

    /// <summary>Parses <paramref name="value"/> and checks that <paramref name="mode"/> can use it.</summary>
    /// <param name="mode">The load pattern.</param>
    /// <param name="value">The <c>--target</c> value.</param>
    /// <returns>The target.</returns>
    /// <exception cref="FormatException">The target is malformed or does not suit the mode; the message says why.</exception>
    public static BenchTarget Parse(BenchMode mode, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        // bench loads plaintext echo servers over TCP, UDP or Unix streams: the TLS and Unix datagram schemes are not for it.
        if (!AddressUri.TrySplit(value, out ListenerKind kind, out string address, out bool tls) || tls || kind == ListenerKind.UnixDatagram)
        {
            throw new FormatException($"Invalid {Option} value '{value}': expected tcp://HOST:PORT, udp://HOST:PORT or unix:PATH.");
        }

        if (mode == BenchMode.Udp && kind != ListenerKind.Udp)
        {
            throw new FormatException($"Invalid {Option} value '{value}': udp mode needs a udp://HOST:PORT target.");
        }

        if (mode != BenchMode.Udp && kind == ListenerKind.Udp)
        {
            throw new FormatException($"Invalid {Option} value '{value}': {BenchModes.Name(mode)} mode needs a tcp://HOST:PORT or unix:PATH target.");
        }

        EndPoint endPoint = ListenerSpec.ParseAddress(kind, address, Option);
        if (endPoint is IPEndPoint { Port: 0 })
        {
            throw new FormatException($"Invalid {Option} value '{value}': port 0 cannot be connected to.");
        }

        return new BenchTarget(value, kind, endPoint);
    }
}
