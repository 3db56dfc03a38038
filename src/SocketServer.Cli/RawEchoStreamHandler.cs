using System.Net.Sockets;
using System.Runtime.CompilerServices;
using SocketServer.Internal;

namespace SocketServer.Cli;

/// <summary>
/// <c>serve echo --handler raw</c>: the echo protocol on a stream served through the request socket itself, the other
/// handler shape a Python user writes (a <c>BaseRequestHandler</c> calling <c>self.request.recv(65536)</c> and
/// <c>sendall</c>), beside <see cref="SocketServer.Protocols.EchoStreamHandler"/>'s RFile and WFile. The benchmark suite
/// runs both shapes against Python's, so that each is compared with its like.
/// </summary>
internal sealed class RawEchoStreamHandler : BaseRequestHandler
{
    /// <summary>The most bytes one receive takes: Python's peer asks <c>recv</c> for as many.</summary>
    private const int ReceiveSize = 65536;

    /// <summary>Receives into one buffer and sends each read back until the client closes.</summary>
    [SkipLocalsInit]
    protected override void Handle()
    {
        Socket socket = (Socket)Request;
        // On the request thread's stack, not zeroed, as EchoStreamHandler's: a page becomes resident only once a
        // receive writes to it, and nothing is allocated per connection. A heap array, even uninitialized, lives in
        // memory the GC has touched already: idle connections held 36.0 KiB each with it, 29.2 KiB without
        // (benchmarks/run's idle case, 1,000 connections; Python's recv(65536) shape holds 20.9 KiB).
        // From a cache line: the kernel copies out of it faster (CacheLine).
        Span<byte> buffer = CacheLine.Within(stackalloc byte[ReceiveSize + CacheLine.Size - 1], ReceiveSize);
        try
        {
            int read;
            while ((read = socket.Receive(buffer)) > 0)
            {
                // A blocking stream socket's Send returns once every byte is sent, as sendall does.
                socket.Send(buffer[..read]);
            }
        }
        catch (SocketException e) when (SocketErrors.IsPeerGone(e))
        {
            // The client reset or went away: the conversation is over (as EchoStreamHandler treats it).
        }
    }
}
