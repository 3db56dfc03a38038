using System.Net.Sockets;
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
    protected override void Handle()
    {
        Socket socket = (Socket)Request;
        // Uninitialized, as Python's recv(65536) mallocs its 64 KiB without touching it: a connection that waits in its
        // first receive then holds the pages it was sent into, not 64 KiB of zeroes (a zeroed array made each idle
        // connection cost 64 KiB more resident memory than the RFile shape).
        byte[] buffer = GC.AllocateUninitializedArray<byte>(ReceiveSize);
        try
        {
            int read;
            while ((read = socket.Receive(buffer)) > 0)
            {
                // A blocking stream socket's Send returns once every byte is sent, as sendall does.
                socket.Send(buffer.AsSpan(0, read));
            }
        }
        catch (SocketException e) when (SocketErrors.IsPeerGone(e))
        {
            // The client reset or went away: the conversation is over (as EchoStreamHandler treats it).
        }
    }
}
