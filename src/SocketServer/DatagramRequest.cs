using System.Net.Sockets;

namespace SocketServer;

/// <summary>
/// The request of a datagram server: the datagram's bytes and the server's socket to reply on. Python's
/// <c>(data, socket)</c> pair; deconstruct it the same way: <c>var (data, socket) = (DatagramRequest)Request;</c>.
/// </summary>
/// <param name="Packet">The datagram's bytes, cut to the server's maximum packet size.</param>
/// <param name="Socket">The server's socket, shared by every request.</param>
public sealed record DatagramRequest(byte[] Packet, Socket Socket)
{
    /// <summary>
    /// What a dispatcher hands to <c>FinishRequest</c> with this datagram (the async path's handler and host); not part
    /// of the request's value. Kept here rather than in the server's table of hand-offs: a datagram is a request each,
    /// and the table's locks would cost every one of them.
    /// </summary>
    internal Internal.Requests.PreparedRequest? Prepared { get; set; }

    /// <summary>Whether <paramref name="other"/> holds the same packet (the same array) for the same socket.</summary>
    /// <param name="other">The request to compare with.</param>
    /// <returns><see langword="true"/> when both parts are the same.</returns>
    public bool Equals(DatagramRequest? other) =>
        other is not null && ReferenceEquals(Packet, other.Packet) && ReferenceEquals(Socket, other.Socket);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Packet, Socket);
}
