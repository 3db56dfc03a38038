using System.Net.Security;
using SocketServer.Internal;

namespace SocketServer.Cli.Send;

/// <summary>
/// An <see cref="SslStream"/> whose own work (the OpenSSL calls that encrypt, decrypt, handle post-handshake messages
/// and close) runs on one thread at a time, while a read and a write may still wait for the network together.
/// <c>send</c> reads replies on one task while it writes lines on another; on Linux that let the reader's decryption
/// (of TLS 1.3 session tickets, at first) overlap the writer's encryption on the same OpenSSL session, and about 1 in
/// 120 runs against a local server failed: "The decryption operation failed", or glibc aborting the process on a
/// corrupted heap.
/// </summary>
/// <remarks>
/// Each operation holds <see cref="TlsGate"/> from start to end, except while the TLS stream waits on the connection
/// beneath it (<see cref="GatedTransport"/> lets go of the gate for exactly that long).
/// </remarks>
internal sealed class SerializedTlsStream : PassThroughStream
{
    private readonly SslStream _tls;
    private readonly TlsGate _gate;

    private SerializedTlsStream(SslStream tls, TlsGate gate)
        : base(tls, ownsInner: false)
    {
        _tls = tls;
        _gate = gate;
    }

    /// <summary>Runs <paramref name="handshake"/> on a TLS stream over <paramref name="connection"/>, which the result owns.</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="handshake">Authenticates the TLS stream it is given.</param>
    /// <returns>The stream, once authenticated; the TLS stream is disposed when the handshake throws.</returns>
    public static async Task<SerializedTlsStream> AuthenticateAsync(Stream connection, Func<SslStream, Task> handshake)
    {
        var gate = new TlsGate();
        var tls = new SslStream(new GatedTransport(connection, gate), leaveInnerStreamOpen: false);
        await gate.EnterAsync().ConfigureAwait(false);
        try
        {
            await handshake(tls).ConfigureAwait(false);
        }
        catch
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        finally
        {
            gate.Exit();
        }

        return new SerializedTlsStream(tls, gate);
    }

    /// <summary>Sends TLS close_notify (<see cref="SslStream.ShutdownAsync"/>).</summary>
    /// <returns>A task that completes when it was sent.</returns>
    public async Task ShutdownAsync()
    {
        await _gate.EnterAsync().ConfigureAwait(false);
        try
        {
            await _tls.ShutdownAsync().ConfigureAwait(false);
        }
        finally
        {
            _gate.Exit();
        }
    }

    /// <inheritdoc/>
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await _gate.EnterAsync().ConfigureAwait(false);
        try
        {
            return await _tls.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Exit();
        }
    }

    /// <inheritdoc/>
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await _gate.EnterAsync().ConfigureAwait(false);
        try
        {
            await _tls.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Exit();
        }
    }

    /// <inheritdoc/>
    /// <remarks>Not offered: a synchronous read would wait on the connection holding the gate, and this tool reads asynchronously.</remarks>
    public override int Read(Span<byte> buffer) => throw new NotSupportedException("SerializedTlsStream reads asynchronously only.");

    /// <inheritdoc/>
    /// <remarks>Not offered, as <see cref="Read(Span{byte})"/>.</remarks>
    public override void Write(ReadOnlySpan<byte> buffer) => throw new NotSupportedException("SerializedTlsStream writes asynchronously only.");

    /// <inheritdoc/>
    /// <remarks>Nothing to do: every write is sent by the TLS stream as it is made.</remarks>
    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc/>
    public override void Flush()
    {
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            // Not while a read decrypts: the session would be freed under it. A read waiting on the connection has
            // let go of the gate; it ends once the connection is closed.
            _gate.Enter();
            try
            {
                _tls.Dispose();
            }
            finally
            {
                _gate.Exit();
            }
        }

        base.Dispose(disposing);
    }
}
