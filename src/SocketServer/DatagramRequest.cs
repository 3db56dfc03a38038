using System.Net.Sockets;

namespace SocketServer;

/// <summary>
/// The request of a datagram server: the datagram's bytes and the server's socket to reply on. Python's
/// <c>(data, socket)</c> pair; deconstruct it the same way: <c>var (data, socket) = (DatagramRequest)Request;</c>.
/// </summary>
/// <param name="Packet">The datagram's bytes, cut to the server's maximum packet size.</param>
/// <param name="Socket">The server's socket, shared by every request.</param>
public sealed record DatagramRequest(byte[] Packet, Socket Socket);
