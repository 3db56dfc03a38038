using System.Net;
using System.Net.Sockets;

namespace SocketServer.Internal.Proxy;

/// <summary>
/// Reading one connection's PROXY header, whatever the transport: the transport peeks into <see cref="PeekBuffer"/>,
/// asks <see cref="Peeked"/> how many of those bytes are the header's, takes exactly those off the socket into
/// <see cref="TakeBuffer"/> and reports them with <see cref="Taken"/>, until <see cref="Status"/> is no longer
/// incomplete. Peeking before taking leaves the bytes after the header in the socket, where the handler (or TLS) reads
/// them first; taking what was peeked means each wait is for new bytes, so nothing spins.
/// </summary>
internal sealed class ProxyHeaderRead
{
    private const int InitialBuffer = 256;

    private readonly ProxyProtocolVersions _versions;
    private byte[] _buffer = new byte[InitialBuffer];
    private int _count;

    /// <summary>A read for the connection <paramref name="socket"/> accepted from <paramref name="proxyAddress"/>.</summary>
    public ProxyHeaderRead(Socket socket, EndPoint? proxyAddress, ProxyProtocolOptions options, long startedAt)
    {
        Socket = socket;
        ProxyAddress = proxyAddress;
        Options = options;
        _versions = options.Versions;
        StartedAt = startedAt;
    }

    /// <summary>The connection.</summary>
    public Socket Socket { get; }

    /// <summary>The connection's real peer: the proxy.</summary>
    public EndPoint? ProxyAddress { get; }

    /// <summary>The listener's options.</summary>
    public ProxyProtocolOptions Options { get; }

    /// <summary>When the connection was accepted (a <see cref="TimeProvider"/> timestamp), the deadline's start.</summary>
    public long StartedAt { get; }

    /// <summary>Where the read stands.</summary>
    public ProxyParseStatus Status { get; private set; }

    /// <summary>The header, once <see cref="ProxyParseStatus.Complete"/>.</summary>
    public ProxyHeader? Header { get; private set; }

    /// <summary>Why the header was refused, once <see cref="ProxyParseStatus.Invalid"/>.</summary>
    public string? Reason { get; private set; }

    /// <summary>Whether the peer closed the connection before sending a byte (a port probe).</summary>
    public bool ClosedEmpty { get; private set; }

    /// <summary>How many bytes were taken so far.</summary>
    public int Count => _count;

    /// <summary>The client address the request goes on with: the header's source, or the proxy itself (LOCAL, UNKNOWN, UNSPEC).</summary>
    public EndPoint? ClientAddress => Header?.SourceAddress ?? ProxyAddress;

    /// <summary>Where to peek next: as much as the header can still need (the whole fixed part first, then the declared length).</summary>
    public Memory<byte> PeekBuffer
    {
        get
        {
            int wanted = _count >= ProxyHeaderParser.V2FixedLength && ProxyHeaderParser.IsV2Start(_buffer[0])
                ? ProxyHeaderParser.V2FixedLength + ((_buffer[14] << 8) | _buffer[15]) - _count
                : InitialBuffer - _count;
            if (_count + wanted > _buffer.Length)
            {
                Array.Resize(ref _buffer, _count + wanted);
            }

            return _buffer.AsMemory(_count, Math.Max(wanted, 1));
        }
    }

    /// <summary>How many of the <paramref name="peeked"/> bytes just peeked into <see cref="PeekBuffer"/> to take off the socket.</summary>
    public int Peeked(int peeked) => ProxyHeaderParser.HeaderBytesIn(_buffer.AsSpan(0, _count + peeked), _count, peeked);

    /// <summary>Where to take <paramref name="count"/> bytes (the same place they were peeked into).</summary>
    public Memory<byte> TakeBuffer(int count) => _buffer.AsMemory(_count, count);

    /// <summary>
    /// <paramref name="taken"/> bytes were taken off the socket (0: the peer closed). Returns whether the read is over
    /// (<see cref="Status"/> complete or invalid).
    /// </summary>
    public bool Taken(int taken)
    {
        if (taken <= 0)
        {
            ClosedEmpty = _count == 0;
            return Fail(_count == 0 ? "the proxy closed the connection without sending a header" : "the proxy closed the connection in the middle of the header");
        }

        _count += taken;
        ProxyParseStatus status = ProxyHeaderParser.Parse(_buffer.AsSpan(0, _count), _versions, ProxyAddress, out int length, out ProxyHeader? header, out string? reason);
        if (status == ProxyParseStatus.Complete && length != _count)
        {
            // Cannot happen: only the header's own bytes are taken. Refuse rather than lose the client's data.
            return Fail("the header was read past its end");
        }

        Status = status;
        Header = header;
        Reason = reason;
        return status != ProxyParseStatus.Incomplete;
    }

    /// <summary>Ends the read as refused, for <paramref name="reason"/> (a deadline, a socket error). Returns true.</summary>
    public bool Fail(string reason)
    {
        Status = ProxyParseStatus.Invalid;
        Reason = reason;
        return true;
    }
}
