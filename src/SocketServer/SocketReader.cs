using System.Buffers;
using System.Net.Sockets;

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
    private readonly byte[] _buffer;
    private int _position;
    private int _length;
    private bool _closed;

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
        _buffer = bufferSize switch
        {
            < 0 => new byte[DefaultBufferSize],
            0 => [],
            _ => new byte[bufferSize],
        };
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

    /// <summary>Whether the reader was disposed (the socket itself may still be open).</summary>
    public bool IsClosed => _closed;

    /// <summary>How many bytes were read ahead and not yet returned (STARTTLS refuses to upgrade past them).</summary>
    internal int BufferedCount => _length - _position;

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
    public byte[] ReadLine(int limit = -1)
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        int max = limit < 0 ? int.MaxValue : limit;
        var line = new ArrayBufferWriter<byte>(Math.Min(max, 256) + 1);
        if (_buffer.Length == 0)
        {
            Span<byte> one = stackalloc byte[1];
            while (line.WrittenCount < max && Receive(one) == 1)
            {
                line.Write(one);
                if (one[0] == (byte)'\n')
                {
                    break;
                }
            }

            return line.WrittenSpan.ToArray();
        }

        while (line.WrittenCount < max)
        {
            if (_position == _length)
            {
                _position = 0;
                _length = Receive(_buffer);
                if (_length == 0)
                {
                    break;
                }
            }

            ReadOnlySpan<byte> available = _buffer.AsSpan(_position, Math.Min(_length - _position, max - line.WrittenCount));
            int newline = available.IndexOf((byte)'\n');
            ReadOnlySpan<byte> take = newline >= 0 ? available[..(newline + 1)] : available;
            line.Write(take);
            _position += take.Length;
            if (newline >= 0)
            {
                break;
            }
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
        if (buffer.IsEmpty)
        {
            return 0;
        }

        if (_position == _length)
        {
            if (buffer.Length >= _buffer.Length)
            {
                return Receive(buffer);
            }

            _position = 0;
            _length = Receive(_buffer);
        }

        int count = Math.Min(buffer.Length, _length - _position);
        _buffer.AsSpan(_position, count).CopyTo(buffer);
        _position += count;
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

        if (_stream is not null)
        {
            return await _stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            return await _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            throw new IOException($"Reading from the connection failed: {e.Message}", e);
        }
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

    private int Receive(Span<byte> buffer)
    {
        if (_stream is not null)
        {
            // SslStream reports failures as IOException already.
            return _stream.Read(buffer);
        }

        try
        {
            return _socket.Receive(buffer);
        }
        catch (SocketException e)
        {
            throw new IOException($"Reading from the connection failed: {e.Message}", e);
        }
    }
}
