using System.Runtime.CompilerServices;
using SocketServer.Internal;

namespace SocketServer.Protocols;

/// <summary>The echo protocol (RFC 862) on a stream: every byte received is sent back, until the client closes.</summary>
/// <remarks>
/// A client that resets the connection or stops reading and goes away has ended the conversation as surely as one that
/// closes it: the handler returns quietly instead of reporting the reset through <see cref="BaseServer"/>'s error
/// handling. (A load generator stopping with echoes in flight would otherwise print one traceback per connection.)
/// Other failures, such as a limit cutting the connection, still propagate.
/// </remarks>
public class EchoStreamHandler : StreamRequestHandler
{
    // What one receive may take: a pipelining client's bytes come in one call, as Python's request.recv(65536).
    private const int ReceiveSize = 64 * 1024;

    /// <summary>Copies <see cref="StreamRequestHandler.RFile"/> to <see cref="StreamRequestHandler.WFile"/> until the end of the stream.</summary>
    [SkipLocalsInit]
    protected override void Handle()
    {
        // On the request thread's stack, not zeroed: a page becomes resident only once a receive writes to it, so an
        // idle connection holds no echo buffer on the heap, and a connection allocates none.
        // From a cache line: the kernel copies out of it faster (CacheLine).
        Span<byte> buffer = CacheLine.Within(stackalloc byte[ReceiveSize + CacheLine.Size - 1], ReceiveSize);
        try
        {
            int read;
            while ((read = RFile.Read(buffer)) > 0)
            {
                WFile.Write(buffer[..read]);
            }
        }
        catch (IOException e) when (SocketErrors.IsPeerGone(e))
        {
        }
    }
}
