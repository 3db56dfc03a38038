using System.Net.Sockets;
using SocketServer.Internal.Diagnostics;
using SocketServer.Internal.Limits;

namespace SocketServer;

/// <summary>
/// An unbuffered, write-only stream over a connected socket; Python's <c>_SocketWriter</c>. Every write sends all
/// of its bytes before it returns, so no flush is needed.
/// </summary>
/// <remarks>Disposing it does not close the socket: the server closes the connection after the handler.</remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1710", Justification = "Python's _SocketWriter; named for its role.")]
public sealed class SocketWriter : Stream
{
    private readonly Socket _socket;

    // Null for a plain connection, which sends on the socket directly; the TLS stream otherwise.
    private readonly Stream? _stream;
    private bool _closed;

    /// <summary>Creates a writer over <paramref name="socket"/>.</summary>
    /// <param name="socket">A connected stream socket.</param>
    public SocketWriter(Socket socket)
        : this(socket, null)
    {
    }

    /// <summary>Creates a writer to <paramref name="stream"/> (a TLS stream over <paramref name="socket"/>), or to the socket itself when it is <see langword="null"/>.</summary>
    /// <param name="socket">The connected socket under the stream; <see cref="Fileno"/> reports it.</param>
    /// <param name="stream">The stream to write, or <see langword="null"/> to send on the socket.</param>
    internal SocketWriter(Socket socket, Stream? stream)
    {
        ArgumentNullException.ThrowIfNull(socket);
        _socket = socket;
        _stream = stream;
    }

    /// <inheritdoc/>
    public override bool CanRead => false;

    /// <inheritdoc/>
    public override bool CanSeek => false;

    /// <inheritdoc/>
    public override bool CanWrite => !_closed;

    /// <inheritdoc/>
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc/>
    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>Whether the writer was disposed (the socket itself may still be open).</summary>
    public bool IsClosed => _closed;

    /// <summary>The connection's limits state (a write deadline from <see cref="ServerLimits.MinSendRate"/>); null outside a limited server.</summary>
    internal ConnectionState? State { get; set; }

    /// <summary>The server's byte totals, which every send adds to; null for a writer made outside a server.</summary>
    internal TrafficTotals? Traffic { get; set; }

    /// <summary>The socket's operating-system descriptor.</summary>
    /// <returns>The descriptor.</returns>
    public int Fileno() => (int)_socket.Handle;

    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        Write(buffer.AsSpan(offset, count));
    }

    /// <summary>Sends every byte of <paramref name="buffer"/>, looping over partial sends.</summary>
    /// <param name="buffer">The bytes to send.</param>
    /// <exception cref="IOException">The connection failed or timed out; the inner exception says how.</exception>
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        ConnectionState? state = State;
        state?.BeforeSend(buffer.Length);
        if (_stream is not null)
        {
            // An SslStream writes everything it is given, and reports failures as IOException.
            try
            {
                _stream.Write(buffer);
            }
            finally
            {
                state?.AfterSend();
            }

            Traffic?.Sent(buffer.Length);
            return;
        }

        try
        {
            while (!buffer.IsEmpty)
            {
                int sent = _socket.Send(buffer);
                Traffic?.Sent(sent);
                buffer = buffer[sent..];
            }
        }
        catch (SocketException e)
        {
            throw state?.WriteFailure(e) ?? new IOException($"Writing to the connection failed: {e.Message}", e);
        }
        finally
        {
            state?.AfterSend();
        }
    }

    /// <inheritdoc/>
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        if (_stream is not null)
        {
            await _stream.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            Traffic?.Sent(buffer.Length);
            return;
        }

        try
        {
            while (!buffer.IsEmpty)
            {
                int sent = await _socket.SendAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                Traffic?.Sent(sent);
                buffer = buffer[sent..];
            }
        }
        catch (SocketException e)
        {
            throw new IOException($"Writing to the connection failed: {e.Message}", e);
        }
    }

    /// <inheritdoc/>
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Does nothing: nothing is buffered.</summary>
    public override void Flush()
    {
    }

    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("The writer cannot read; use the handler's RFile.");

    /// <inheritdoc/>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        _closed = true;
        base.Dispose(disposing);
    }
}
