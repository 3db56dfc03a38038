namespace SocketServer.Tests.Async;

/// <summary>
/// Every case of <see cref="ServeAsyncTests"/> (echo over TCP, IPv6 and Unix sockets, many clients, framing, a line
/// too long, handler failures, half-close, a client's reset, back-pressure) on the io_uring transport; skipped with
/// the probe's reason where io_uring cannot serve.
/// </summary>
public sealed class IoUringServeAsyncTests : ServeAsyncTests
{
    /// <inheritdoc/>
    protected override AsyncTransport Transport => AsyncTransport.IoUring;
}
