using System.Net;
using System.Net.Sockets;

namespace SocketServer.Internal.Diagnostics;

/// <summary>
/// A client's address as log lines name it, formatted only when a line is written: its address, or what kind of
/// client has none ("an unnamed Unix client"). Passing this rather than a string keeps a disabled event free.
/// </summary>
/// <param name="Address">The client's address, if it has one.</param>
internal readonly record struct ClientName(EndPoint? Address)
{
    /// <summary>Names <paramref name="clientAddress"/> as a log line does.</summary>
    public static string Describe(EndPoint? clientAddress) => clientAddress switch
    {
        null => "an unknown client",
        UnixDomainSocketEndPoint unix when string.IsNullOrEmpty(unix.ToString()) => "an unnamed Unix client",
        _ => clientAddress.ToString() ?? "a client",
    };

    /// <inheritdoc/>
    public override string ToString() => Describe(Address);
}
