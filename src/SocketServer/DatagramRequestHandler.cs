using System.Net;
using System.Net.Sockets;

namespace SocketServer;

/// <summary>
/// A handler for datagram servers: <see cref="RFile"/> reads the datagram, and what is written to
/// <see cref="WFile"/> is sent back to the client as one datagram by <see cref="Finish"/>; Python's
/// <c>socketserver.DatagramRequestHandler</c>.
/// </summary>
/// <remarks>The reply is always sent, even when empty, as in Python.</remarks>
public class DatagramRequestHandler : BaseRequestHandler
{
    /// <summary>The datagram's bytes.</summary>
    public byte[] Packet { get; private set; } = null!;

    /// <summary>The server's socket, shared by every request.</summary>
    public Socket Socket { get; private set; } = null!;

    /// <summary>A read-only stream over <see cref="Packet"/>.</summary>
    public MemoryStream RFile { get; private set; } = null!;

    /// <summary>The reply: everything written here is sent back by <see cref="Finish"/>.</summary>
    public MemoryStream WFile { get; private set; } = null!;

    /// <summary>Unpacks the request and creates <see cref="RFile"/> and <see cref="WFile"/>.</summary>
    /// <exception cref="InvalidOperationException">The request is not a <see cref="DatagramRequest"/>.</exception>
    protected override void Setup()
    {
        var request = Request as DatagramRequest
            ?? throw new InvalidOperationException($"DatagramRequestHandler needs a DatagramRequest, not {Request.GetType().Name}; use StreamRequestHandler on stream servers.");
        (Packet, Socket) = request;
        RFile = new MemoryStream(Packet, writable: false);
        WFile = new MemoryStream();
    }

    /// <summary>Sends <see cref="WFile"/>'s contents to the client as one datagram.</summary>
    /// <exception cref="InvalidOperationException">The client is an unnamed Unix socket, or has no address, and cannot be answered.</exception>
    protected override void Finish()
    {
        if (ClientAddress is UnixDomainSocketEndPoint unix && unix.ToString().Length == 0)
        {
            throw new Internal.Diagnostics.UnnamedClientException();
        }

        EndPoint client = ClientAddress
            ?? throw new InvalidOperationException("Cannot reply: the request has no client address (a custom GetRequest returned none).");
        int sent = Socket.SendTo(WFile.GetBuffer().AsSpan(0, (int)WFile.Length), SocketFlags.None, client);
        Server.Diagnostics.Traffic.DatagramSent(sent);
    }
}
