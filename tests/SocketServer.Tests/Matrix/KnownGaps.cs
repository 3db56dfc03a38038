using SocketServer.Tests.Infrastructure;

namespace SocketServer.Tests.Matrix;

/// <summary>Rows of the matrix where a mode does not yet behave as the others do; each skip names the bug.</summary>
internal static class KnownGaps
{
    /// <summary>
    /// An <see cref="AsyncStreamRequestHandler"/> run to completion on a request thread (ServeForever, threading,
    /// forking) gets pipes over a bare NetworkStream and no <c>ConnectionState</c>: it never looks up
    /// <c>Server.FindConnection</c> as <see cref="StreamRequestHandler"/> does. So ReadLineAsync falls back to its own
    /// 64 KiB cap (an InvalidDataException into HandleError) instead of <see cref="ServerLimits.MaxLineLength"/>, its
    /// receives are never marked, and the idle timeout, the first-unit deadline and a drain's idle close never see it.
    /// </summary>
    public static void SkipAsyncHandlerOnARequestThread(ServeMode mode, HandlerShape shape) =>
        Assert.SkipWhen(
            shape == HandlerShape.Async && mode is ServeMode.Sync or ServeMode.Threading,
            "known bug: an AsyncStreamRequestHandler on a request thread (ServeForever, threading, forking) gets no "
            + "ConnectionState, so MaxLineLength, the idle timeout and a drain's idle close do not reach it");
}
