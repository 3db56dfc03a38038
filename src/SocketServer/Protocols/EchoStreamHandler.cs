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
    /// <summary>Copies <see cref="StreamRequestHandler.RFile"/> to <see cref="StreamRequestHandler.WFile"/> until the end of the stream.</summary>
    protected override void Handle()
    {
        byte[] buffer = new byte[SocketReader.DefaultBufferSize];
        try
        {
            int read;
            while ((read = RFile.Read(buffer)) > 0)
            {
                WFile.Write(buffer, 0, read);
            }
        }
        catch (IOException e) when (SocketErrors.IsPeerGone(e))
        {
        }
    }
}
