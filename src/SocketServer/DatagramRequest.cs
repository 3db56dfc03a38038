using System.Net;
using System.Net.Sockets;
using SocketServer.Internal.Requests;

namespace SocketServer;

/// <summary>
/// The request of a datagram server: the datagram's bytes and the server's socket to reply on. Python's
/// <c>(data, socket)</c> pair; deconstruct it the same way: <c>var (data, socket) = (DatagramRequest)Request;</c>.
/// </summary>
/// <remarks>
/// <para>Under <see cref="BaseServer.ServeForever()"/> and the threading and forking servers each datagram is a new
/// request whose <see cref="Packet"/> is an array of its own, as in Python.</para>
/// <para>Under <see cref="BaseServer.ServeAsync"/> on the event loops (64-bit Linux) the request and the buffer the
/// datagram was received into are the server's, used again for a later datagram once this one has ended (after
/// <see cref="BaseServer.ShutdownRequest"/>, and after an async handler's task has completed): read the bytes through
/// <see cref="Data"/> while the request runs, and copy what must outlive it. <see cref="Packet"/> is made there on
/// first use, a copy of its own that stays valid.</para>
/// </remarks>
public sealed class DatagramRequest
{
    private readonly byte[]? _buffer;
    private ReadOnlyMemory<byte> _data;
    private byte[]? _packet;
    private int _holds;

    /// <summary>A request for <paramref name="packet"/>, received on <paramref name="socket"/>.</summary>
    /// <param name="packet">The datagram's bytes, cut to the server's maximum packet size.</param>
    /// <param name="socket">The server's socket, shared by every request.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public DatagramRequest(byte[] packet, Socket socket)
    {
        ArgumentNullException.ThrowIfNull(packet);
        ArgumentNullException.ThrowIfNull(socket);
        _packet = packet;
        _data = packet;
        Socket = socket;
    }

    /// <summary>A request of <paramref name="pool"/>: a pinned buffer of <paramref name="bufferSize"/> bytes and an address to receive into.</summary>
    internal DatagramRequest(DatagramPool pool, Socket socket, int bufferSize)
    {
        Pool = pool;
        Socket = socket;
        _buffer = GC.AllocateUninitializedArray<byte>(bufferSize, pinned: true);
        AddressFamily family = socket.AddressFamily;
        Address = new SocketAddress(family, SocketAddress.GetMaximumAddressSize(family));
        PooledHandoff = new PreparedRequest();
    }

    /// <summary>The datagram's bytes, cut to the server's maximum packet size.</summary>
    /// <remarks>Under <see cref="BaseServer.ServeAsync"/> on the event loops, valid until the request has ended (see the type's remarks).</remarks>
    public ReadOnlyMemory<byte> Data => _data;

    /// <summary>The datagram's bytes as an array; under <see cref="BaseServer.ServeAsync"/> on the event loops, a copy of <see cref="Data"/> made on first use.</summary>
    public byte[] Packet => _packet ?? CopyPacket();

    /// <summary>The server's socket, shared by every request.</summary>
    public Socket Socket { get; }

    /// <summary>Python's <c>data, socket = request</c>.</summary>
    /// <param name="packet"><see cref="Packet"/>.</param>
    /// <param name="socket"><see cref="Socket"/>.</param>
    public void Deconstruct(out byte[] packet, out Socket socket)
    {
        packet = Packet;
        socket = Socket;
    }

    /// <summary>
    /// What a dispatcher hands to <c>FinishRequest</c> with this datagram (the async path's handler and host). Kept here
    /// rather than in the server's table of hand-offs: a datagram is a request each, and the table's locks would cost
    /// every one of them.
    /// </summary>
    internal PreparedRequest? Prepared { get; set; }

    /// <summary>The pool this request comes from and goes back to; null for a request made with the public constructor.</summary>
    internal DatagramPool? Pool { get; }

    /// <summary>The sender's address, as received (a pooled request only).</summary>
    internal SocketAddress? Address { get; }

    /// <summary>The pinned buffer datagrams are received into (a pooled request only).</summary>
    internal byte[] Buffer => _buffer!;

    /// <summary>The hand-off a pooled request reuses for every datagram it carries.</summary>
    internal PreparedRequest? PooledHandoff { get; }

    /// <summary>The handler the async dispatcher built for this datagram, given back with the request when it may serve again.</summary>
    internal BaseRequestHandler? Handler { get; set; }

    /// <summary>A pooled request now carries <paramref name="length"/> bytes from the address already in <see cref="Address"/>; one hold (the pipeline's).</summary>
    internal void Received(int length)
    {
        _data = new ReadOnlyMemory<byte>(_buffer, 0, length);
        _packet = null;
        _holds = 1;
    }

    /// <summary>Someone besides the pipeline (an async handler still running) keeps the request until it calls <see cref="Release"/>.</summary>
    internal void Hold() => Interlocked.Increment(ref _holds);

    /// <summary>Gives up one hold; the last one gives a pooled request back to its pool. Does nothing for other requests.</summary>
    internal void Release()
    {
        if (Pool is { } pool && Interlocked.Decrement(ref _holds) == 0)
        {
            pool.Return(this);
        }
    }

    /// <summary>Forgets the datagram before the request goes back to its pool.</summary>
    internal void Clear()
    {
        _data = default;
        _packet = null;
        Prepared = null;
        Handler = null;
    }

    private byte[] CopyPacket()
    {
        byte[] copy = _data.ToArray();
        return Interlocked.CompareExchange(ref _packet, copy, null) ?? copy;
    }
}
