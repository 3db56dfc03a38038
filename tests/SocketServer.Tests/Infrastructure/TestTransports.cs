using SocketServer.Internal.IoUring;
using SocketServer.Internal.Reactor;

namespace SocketServer.Tests.Infrastructure;

/// <summary>
/// ServeAsync's transports as the theories name them ("reactor", "io_uring", "portable", with an optional "-unix"
/// suffix): which <see cref="AsyncTransport"/> each is, and the skip (with its reason) where it cannot run here. An
/// io_uring row on a kernel without io_uring (or with it disabled) reports Skipped with the probe's reason rather than
/// passing on the epoll fallback.
/// </summary>
internal static class TestTransports
{
    /// <summary>The transport a theory's name stands for.</summary>
    public static AsyncTransport Parse(string name) =>
        name.StartsWith("io_uring", StringComparison.Ordinal) ? AsyncTransport.IoUring
        : name.StartsWith("portable", StringComparison.Ordinal) ? AsyncTransport.Portable
        : AsyncTransport.Epoll;

    /// <summary>Skips the running test where <paramref name="transport"/> cannot serve on this machine.</summary>
    public static void SkipUnlessAvailable(AsyncTransport transport)
    {
        if (transport == AsyncTransport.Portable)
        {
            return;
        }

        Assert.SkipUnless(ReactorNative.IsSupported, "ServeAsync's event loops run on 64-bit Linux");
        if (transport == AsyncTransport.IoUring && IoUringSupport.UnavailableReason is { } reason)
        {
            Assert.Skip($"io_uring cannot serve here: {reason}");
        }
    }

    /// <summary>Skips where the named transport cannot run, else sets it on <paramref name="server"/>.</summary>
    public static void Use(BaseServer server, string name)
    {
        AsyncTransport transport = Parse(name);
        SkipUnlessAvailable(transport);
        server.AsyncTransport = transport;
    }
}
