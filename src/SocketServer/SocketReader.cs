using System.Buffers;
using System.Globalization;
using System.Net.Sockets;
using SocketServer.Internal.Diagnostics;
using SocketServer.Internal.Limits;

namespace SocketServer;

/// <summary>
/// A buffered, read-only stream over a connected socket, with Python's <c>readline</c>; the type of
/// <see cref="StreamRequestHandler.RFile"/>.
/// </summary>
/// <remarks>
/// With a buffer size of 0 it never reads ahead: each read asks the socket for at most what the caller wants,
/// and <see cref="ReadLine"/> reads byte by byte, so the socket can be handed on afterwards (for example to TLS).
/// Disposing it does not close the socket.
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1710", Justification = "Named for its role, as Python's reader and writer are.")]
public sealed class SocketReader : Stream
{
    /// <summary>The buffer size used when none is given, as Python's <c>io.DEFAULT_BUFFER_SIZE</c>.</summary>
    public const int DefaultBufferSize = 8192;

    private readonly Socket _socket;

    // Null for a plain connection, which reads the socket directly (the fast path); the TLS stream otherwise.
    private readonly Stream? _stream;
    private readonly int _bufferSize;

    // The read-ahead buffer, made by the first read that needs it: a handler that reads into buffers of its own (an
    // echo) or sits idle on a connection never pays for it.
    private byte[]? _buffer;
    private int _position;
    private int _length;
    private bool _closed;
    private ConnectionLimitException? _inputStopped;

    /// <summary>Creates a reader over <paramref name="socket"/>.</summary>
    /// <param name="socket">A connected stream socket.</param>
    /// <param name="bufferSize">Bytes to read ahead; negative for <see cref="DefaultBufferSize"/>, 0 for none.</param>
    public SocketReader(Socket socket, int bufferSize = -1)
        : this(socket, null, bufferSize)
    {
    }

    /// <summary>Creates a reader of <paramref name="stream"/> (a TLS stream over <paramref name="socket"/>), or of the socket itself when it is <see langword="null"/>.</summary>
    /// <param name="socket">The connected socket under the stream; <see cref="Fileno"/> reports it.</param>
    /// <param name="stream">The stream to read, or <see langword="null"/> to read the socket.</param>
    /// <param name="bufferSize">Bytes to read ahead; negative for <see cref="DefaultBufferSize"/>, 0 for none.</param>
    internal SocketReader(Socket socket, Stream? stream, int bufferSize)
    {
        ArgumentNullException.ThrowIfNull(socket);
        _socket = socket;
        _stream = stream;
        _bufferSize = bufferSize < 0 ? DefaultBufferSize : bufferSize;
    }

    /// <inheritdoc/>
    public override bool CanRead => !_closed;

    /// <inheritdoc/>
    public override bool CanSeek => false;

    /// <inheritdoc/>
    public override bool CanWrite => false;

    /// <inheritdoc/>
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc/>
    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    private byte[] ReadAhead => _buffer ??= new byte[_bufferSize];

    /// <summary>Whether the reader was disposed (the socket itself may still be open).</summary>
    public bool IsClosed => _closed;

    /// <summary>How many bytes were read ahead and not yet returned (STARTTLS refuses to upgrade past them).</summary>
    internal int BufferedCount => _length - _position;

    /// <summary>
    /// The longest line <see cref="ReadLine"/> buffers (<see cref="ServerLimits.MaxLineLength"/>), or null for none;
    /// set by <see cref="StreamRequestHandler"/> from the server's limits.
    /// </summary>
    internal int? MaxLineLength { get; set; }

    /// <summary>The connection's limits state, which the heartbeat watches; null outside a limited server.</summary>
    internal ConnectionState? State { get; set; }

    /// <summary>The server's byte totals, which every receive adds to; null for a reader made outside a server.</summary>
    internal TrafficTotals? Traffic { get; set; }

    /// <summary>The socket's operating-system descriptor.</summary>
    /// <returns>The descriptor.</returns>
    public int Fileno() => (int)_socket.Handle;

    /// <summary>
    /// Reads one line, up to and including its <c>\n</c>. At the end of the stream it returns what is left, which
    /// is empty once everything was read.
    /// </summary>
    /// <param name="limit">The most bytes to return; negative for no limit. A line cut by the limit has no <c>\n</c>.</param>
    /// <returns>The line's bytes.</returns>
    /// <exception cref="IOException">The connection failed or timed out; the inner exception says how.</exception>
    /// <exception cref="ConnectionLimitException">
    /// The line is longer than the server's <see cref="ServerLimits.MaxLineLength"/> (which applies when
    /// <paramref name="limit"/> is negative or larger); no part of it is returned and the connection's input stops.
    /// </exception>
    public byte[] ReadLine(int limit = -1)
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        ThrowIfInputStopped();
        int max = limit < 0 ? int.MaxValue : limit;
        // The server's cap binds only below the caller's own limit: up to it, Python's cut-without-error is kept.
        int cap = MaxLineLength is { } maxLine && maxLine < max ? maxLine : int.MaxValue;
        int stop = Math.Min(max, cap);
        var line = new ArrayBufferWriter<byte>(Math.Min(stop, 256) + 1);
        bool complete = _bufferSize == 0 ? ReadLineUnbuffered(line, stop) : ReadLineBuffered(line, stop);
        if (!complete && line.WrittenCount == cap && HasMoreInput(cap))
        {
            throw StopInput(cap);
        }

        if (line.WrittenCount > 0)
        {
            State?.UnitCompleted();
        }

        return line.WrittenSpan.ToArray();
    }

    /// <summary>Reads lines until the end of the stream.</summary>
    /// <returns>Each line, with its <c>\n</c>.</returns>
    public IEnumerable<byte[]> ReadLines()
    {
        while (true)
        {
            byte[] line = ReadLine();
            if (line.Length == 0)
            {
                yield break;
            }

            yield return line;
        }
    }

    private bool ReadLineUnbuffered(ArrayBufferWriter<byte> line, int stop)
    {
        Span<byte> one = stackalloc byte[1];
        while (line.WrittenCount < stop && Receive(one, line.WrittenCount) == 1)
        {
            line.Write(one);
            if (one[0] == (byte)'\n')
            {
                return true;
            }
        }

        return false;
    }

    private bool ReadLineBuffered(ArrayBufferWriter<byte> line, int stop)
    {
        while (line.WrittenCount < stop)
        {
            if (_position == _length)
            {
                _position = 0;
                _length = Receive(ReadAhead, line.WrittenCount);
                if (_length == 0)
                {
                    break;
                }
            }

            ReadOnlySpan<byte> available = ReadAhead.AsSpan(_position, Math.Min(_length - _position, stop - line.WrittenCount));
            int newline = available.IndexOf((byte)'\n');
            ReadOnlySpan<byte> take = newline >= 0 ? available[..(newline + 1)] : available;
            line.Write(take);
            _position += take.Length;
            if (newline >= 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether a byte follows the <paramref name="held"/> bytes of a line cut at the cap (so the line is too long).</summary>
    private bool HasMoreInput(int held)
    {
        if (_position < _length)
        {
            return true;
        }

        if (_bufferSize == 0)
        {
            // The byte is consumed, but the line is refused anyway.
            Span<byte> one = stackalloc byte[1];
            return Receive(one, held) == 1;
        }

        _position = 0;
        _length = Receive(ReadAhead, held);
        return _length > 0;
    }

    private ConnectionLimitException StopInput(int cap)
    {
        _inputStopped = State?.LineTooLong(cap) ?? ConnectionLimitException.LineTooLong(cap);
        _position = _length = 0;
        return _inputStopped;
    }

    private void ThrowIfInputStopped()
    {
        if (_inputStopped is { } stopped)
        {
            throw new ConnectionLimitException(stopped.LimitName, stopped.Message);
        }
    }

    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Read(buffer.AsSpan(offset, count));
    }

    /// <summary>Reads what is buffered, or else what one receive brings; 0 only at the end of the stream.</summary>
    /// <param name="buffer">Where to put the bytes.</param>
    /// <returns>How many bytes were read.</returns>
    /// <exception cref="IOException">The connection failed or timed out; the inner exception says how.</exception>
    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        ThrowIfInputStopped();
        if (buffer.IsEmpty)
        {
            return 0;
        }

        if (_position == _length)
        {
            if (buffer.Length >= _bufferSize)
            {
                int received = Receive(buffer);
                if (received > 0)
                {
                    State?.UnitCompleted();
                }

                return received;
            }

            _position = 0;
            _length = Receive(ReadAhead);
        }

        int count = Math.Min(buffer.Length, _length - _position);
        ReadAhead.AsSpan(_position, count).CopyTo(buffer);
        _position += count;
        if (count > 0)
        {
            State?.UnitCompleted();
        }

        return count;
    }

    /// <inheritdoc/>
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        if (_position < _length || buffer.IsEmpty)
        {
            return Read(buffer.Span);
        }

        int received;
        if (_stream is not null)
        {
            received = await _stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            Traffic?.Received(received);
            return received;
        }

        try
        {
            received = await _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            throw new IOException($"Reading from the connection failed: {e.Message}", e);
        }

        Traffic?.Received(received);
        return received;
    }

    /// <inheritdoc/>
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc/>
    public override void Flush()
    {
    }

    /// <inheritdoc/>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("The reader cannot write; use the handler's WFile.");

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        _closed = true;
        base.Dispose(disposing);
    }

    /// <summary>One blocking receive; <paramref name="lineBytes"/> is how much of an unfinished line is held (for the limits).</summary>
    private int Receive(Span<byte> buffer, int lineBytes = 0)
    {
        ConnectionState? state = State;
        if (state is not null && !state.BeforeReceive(lineBytes))
        {
            // Idle while the server drains: the end of the stream, without asking the socket.
            return 0;
        }

        int received;
        if (_stream is not null)
        {
            // SslStream reports failures as IOException already.
            received = _stream.Read(buffer);
            state?.AfterReceive(received);
            Traffic?.Received(received);
            return received;
        }

        try
        {
            received = _socket.Receive(buffer);
        }
        catch (SocketException e)
        {
            throw state?.ReadFailure(e) ?? new IOException($"Reading from the connection failed: {e.Message}", e);
        }

        state?.AfterReceive(received);
        Traffic?.Received(received);
        return received;
    }
}
