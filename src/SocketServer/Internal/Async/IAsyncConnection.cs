using System.IO.Pipelines;
using System.Net.Security;
using SocketServer.Internal.Limits;

namespace SocketServer.Internal.Async;

/// <summary>The connection an <see cref="AsyncStreamRequestHandler"/> runs on under <c>ServeAsync</c>.</summary>
internal interface IAsyncConnection
{
    /// <summary>What the peer sent.</summary>
    PipeReader Input { get; }

    /// <summary>
    /// The handler's <see cref="AsyncStreamRequestHandler.Input"/>: under <see cref="Limits"/>, a reader whose reads
    /// that wait are receives for the limits (idle and first-unit deadlines, the receive rate, a drain); else
    /// <see cref="Input"/>. Called once per handler.
    /// </summary>
    PipeReader InputSeenByLimits();

    /// <summary>What the read helpers read: the same input, not reported to the limits (the helpers report by unit).</summary>
    PipeReader HelperInput { get; }

    /// <summary>What goes to the peer.</summary>
    PipeWriter Output { get; }

    /// <summary>Cancelled when the connection fails or the server stops.</summary>
    CancellationToken ConnectionClosed { get; }

    /// <summary>The connection's limits state when the server admitted it under its <see cref="ServerLimits"/>, or null.</summary>
    ConnectionState? Limits { get; }

    /// <summary>The TLS stream under the pipes, or null for a plaintext connection.</summary>
    SslStream? TlsStream { get; }

    /// <summary>
    /// STARTTLS, first step: readies the connection to go over TLS once the handler flushed its output and took what
    /// its input held. Returns the connection the handler carries on with: this one, or (on the reactor) the portable
    /// connection its socket moved to, off the loop, which from then on owns the request.
    /// </summary>
    /// <exception cref="IOException">The connection failed or the server stopped before it could move.</exception>
    ValueTask<PortableConnection> PrepareStartTlsAsync();

    /// <summary>Called once when the handler's run (setup, handle, finish) completed, with its exception if it threw.</summary>
    void HandlerCompleted(Exception? exception);
}
