using System.Net;
using System.Net.Sockets;
using SocketServer.Internal;
using SocketServer.Internal.Dispatch;

namespace SocketServer;

/// <summary>
/// A synchronous datagram server: each datagram is a request, a <see cref="DatagramRequest"/> of the packet and
/// the server's socket. Python's <c>socketserver.UDPServer</c>.
/// </summary>
/// <remarks>
/// A datagram longer than <see cref="MaxPacketSize"/> is cut to that length on Linux and macOS (Python does the
/// same there). Nothing is closed per request: the socket is shared by every request.
/// </remarks>
public class UdpServer : TcpServer
{
    private SocketAddress? _receiveAddress;
    private byte[]? _receiveBuffer;

    /// <summary>Creates the server and, by default, binds it.</summary>
    /// <param name="serverAddress">An <see cref="IPEndPoint"/> (IPv4 or IPv6); port 0 picks a free port.</param>
    /// <param name="requestHandlerFactory">Creates one handler per datagram.</param>
    /// <param name="bindAndActivate">Whether to call <see cref="TcpServer.ServerBind"/> and <see cref="ServerActivate"/> now.</param>
    /// <exception cref="ServerBindException">The address could not be bound.</exception>
    public UdpServer(EndPoint serverAddress, Func<BaseRequestHandler> requestHandlerFactory, bool bindAndActivate = true)
        : base(serverAddress, requestHandlerFactory, bindAndActivate, SynchronousDispatcher.Instance)
    {
    }

    private protected UdpServer(EndPoint serverAddress, Func<BaseRequestHandler> requestHandlerFactory, bool bindAndActivate, RequestDispatcher dispatcher)
        : base(serverAddress, requestHandlerFactory, bindAndActivate, dispatcher)
    {
    }

    /// <inheritdoc/>
    public override SocketType SocketType => SocketType.Dgram;

    /// <summary>The largest datagram received whole; longer ones are truncated. 8192 by default.</summary>
    /// <remarks>May be overridden. Read for every datagram.</remarks>
    public virtual int MaxPacketSize { get; set; } = 8192;

    /// <summary>Does nothing: a datagram socket does not listen.</summary>
    public override void ServerActivate()
    {
    }

    /// <summary>Receives one datagram.</summary>
    /// <returns>A <see cref="DatagramRequest"/> and the sender's address.</returns>
    protected override (object Request, EndPoint? ClientAddress) GetRequest()
    {
        int size = MaxPacketSize;
        if (_receiveBuffer is null || _receiveBuffer.Length != size)
        {
            _receiveBuffer = new byte[size];
        }

        // The SocketAddress overload reports an unnamed Unix sender as size 0; the EndPoint overload would hand
        // back the template address unchanged, which looks like a real sender.
        SocketAddress address = _receiveAddress ??= new SocketAddress(Socket.AddressFamily, SocketAddress.GetMaximumAddressSize(Socket.AddressFamily));
        address.Size = address.Buffer.Length;
        int received = Socket.ReceiveFrom(_receiveBuffer, SocketFlags.None, address);
        Diagnostics.Traffic.DatagramReceived(received);
        byte[] packet = _receiveBuffer.AsSpan(0, received).ToArray();
        EndPoint clientAddress = ServerAddress.Create(address);
        return (new DatagramRequest(packet, Socket), clientAddress);
    }

    /// <summary>Does nothing more than <see cref="CloseRequest"/>: the socket is shared.</summary>
    /// <param name="request">The datagram.</param>
    protected override void ShutdownRequest(object request) => CloseRequest(request);

    /// <summary>Does nothing: the socket is shared.</summary>
    /// <param name="request">The datagram.</param>
    protected override void CloseRequest(object request)
    {
    }
}
