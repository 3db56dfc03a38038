using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using SocketServer.Internal.Requests;

namespace SocketServer.Internal.Reactor;

/// <summary>
/// Makes the request and the client's address of each descriptor a loop session accepted, epoll's or io_uring's. On a
/// TCP server whose request hooks are all the library's (<see cref="BaseServer.RequestHooksOverridden"/>), with
/// neither TLS nor the PROXY protocol, the request is an <see cref="AcceptedSocket"/>, whose
/// <see cref="Socket"/> is built only if somebody asks; the client's address comes from the accept itself (or one
/// <c>getpeername</c>). Otherwise it is the <see cref="Socket"/> at once, as Python's <c>accept()</c> returns.
/// First loop's thread only: the address buffer is shared.
/// </summary>
internal sealed unsafe class AcceptedRequests
{
    private readonly bool _deferSockets;
    private readonly EndPoint? _addressTemplate;
    private readonly SocketAddress? _peer;

    // The last client's address, kept so that connections from one address (a proxy's, a load balancer's, loopback's)
    // share one IPAddress (40 B, or 56 B for IPv6, each).
    private readonly byte[] _lastPeer = [];
    private int _lastPeerSize;
    private IPAddress? _lastAddress;

    /// <summary>How <paramref name="server"/>'s accepted connections become requests, decided once per serve run.</summary>
    public AcceptedRequests(BaseServer server)
    {
        EndPoint serverAddress = server.ServerAddress;
        // UdpServer derives from TcpServer: only a stream listener accepts.
        _deferSockets = server is TcpServer { Tls: null, ProxyProtocol: null, SocketType: SocketType.Stream }
            && serverAddress.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6
            && !server.RequestHooksOverridden;
        if (_deferSockets)
        {
            _addressTemplate = serverAddress;
            _peer = new SocketAddress(serverAddress.AddressFamily, SocketAddress.GetMaximumAddressSize(serverAddress.AddressFamily));
            _lastPeer = new byte[_peer.Buffer.Length];
        }
    }

    /// <summary>Whether requests are <see cref="AcceptedSocket"/>s, whose sockets are built on demand.</summary>
    public bool DefersSockets => _deferSockets;

    /// <summary>
    /// <c>accept4</c> on <paramref name="listenerFd"/> (non-blocking, close-on-exec), keeping the peer's address for
    /// <see cref="TryCreate"/> when the request will need it. Returns the descriptor, or -1 with the error in
    /// <see cref="Marshal.GetLastPInvokeError"/>.
    /// </summary>
    public int Accept(int listenerFd)
    {
        const int Flags = ReactorNative.SockNonblock | ReactorNative.SockCloexec;
        if (_peer is null)
        {
            return ReactorNative.Accept4(listenerFd, null, null, Flags);
        }

        Span<byte> buffer = _peer.Buffer.Span;
        uint length = (uint)buffer.Length;
        fixed (byte* address = buffer)
        {
            int fd = ReactorNative.Accept4(listenerFd, address, &length, Flags);
            _peer.Size = fd >= 0 ? (int)Math.Min(length, (uint)buffer.Length) : 0;
            return fd;
        }
    }

    /// <summary>
    /// The request for the accepted descriptor <paramref name="fd"/> and its client's address. False when the peer was
    /// already gone (as a failed accept: no request); the descriptor is closed then.
    /// </summary>
    /// <param name="fd">The accepted descriptor; owned by the request from now on.</param>
    /// <param name="peerKnown">Whether <see cref="Accept"/> took it, with the peer's address.</param>
    /// <param name="request">The request.</param>
    /// <param name="clientAddress">The client's address.</param>
    public bool TryCreate(int fd, bool peerKnown, out object request, out EndPoint? clientAddress)
    {
        if (_deferSockets)
        {
            try
            {
                if (!peerKnown)
                {
                    ReadPeer(fd);
                }

                clientAddress = ClientAddress();
            }
            catch (Exception e) when (SocketErrors.IsSocketLevel(e))
            {
                // The peer is already gone (ENOTCONN): as a failed accept, no request.
                ReactorNative.Close(fd);
                request = null!;
                clientAddress = null;
                return false;
            }

            request = new AcceptedSocket(fd);
            return true;
        }

        // From here the handle owns the descriptor: a failure disposes it (a plain close would leave the handle's
        // finalizer to close the number again, by then perhaps another connection's).
        var handle = new SafeSocketHandle(fd, ownsHandle: true);
        try
        {
            var socket = new Socket(handle);
            clientAddress = socket.RemoteEndPoint;
            request = socket;
            return true;
        }
        catch (Exception e) when (SocketErrors.IsSocketLevel(e))
        {
            handle.Dispose();
            request = null!;
            clientAddress = null;
            return false;
        }
    }

    /// <summary>
    /// The client's <see cref="IPEndPoint"/> for the address in <see cref="_peer"/>, as <see cref="EndPoint.Create"/>
    /// makes it, with the same <see cref="IPAddress"/> as the last client's when the address (all of the
    /// <c>sockaddr</c> but its port) is the same.
    /// </summary>
    private IPEndPoint ClientAddress()
    {
        ReadOnlySpan<byte> peer = _peer!.Buffer.Span[.._peer.Size];
        // sockaddr_in and sockaddr_in6 alike: the family in bytes 0-1, the port (network order) in bytes 2-3.
        ReadOnlySpan<byte> lastPeer = _lastPeer.AsSpan(0, _lastPeerSize);
        if (_lastAddress is { } last && peer.Length == lastPeer.Length && peer.Length >= 4
            && peer[..2].SequenceEqual(lastPeer[..2]) && peer[4..].SequenceEqual(lastPeer[4..]))
        {
            return new IPEndPoint(last, (peer[2] << 8) | peer[3]);
        }

        var endPoint = (IPEndPoint)_addressTemplate!.Create(_peer);
        _lastAddress = endPoint.Address;
        peer.CopyTo(_lastPeer);
        _lastPeerSize = peer.Length;
        return endPoint;
    }

    private void ReadPeer(int fd)
    {
        Span<byte> buffer = _peer!.Buffer.Span;
        uint length = (uint)buffer.Length;
        fixed (byte* address = buffer)
        {
            if (ReactorNative.GetPeerName(fd, address, &length) != 0)
            {
                throw ReactorErrors.Exception("getpeername", Marshal.GetLastPInvokeError());
            }
        }

        _peer.Size = (int)Math.Min(length, (uint)buffer.Length);
    }
}
