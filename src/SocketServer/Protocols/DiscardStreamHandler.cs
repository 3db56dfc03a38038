using SocketServer.Internal;

namespace SocketServer.Protocols;

/// <summary>
/// The discard protocol (RFC 863) on a stream: everything received is read and thrown away until the client closes;
/// nothing is ever sent.
/// </summary>
/// <remarks>
/// The handler reads rather than leaving the bytes in the socket, so a client is never held up by a full receive
/// window. A client that resets the connection has ended it as surely as one that closes it: the handler returns
/// quietly, as <see cref="EchoStreamHandler"/> does.
/// </remarks>
public class DiscardStreamHandler : StreamRequestHandler
{
    /// <summary>Reads <see cref="StreamRequestHandler.RFile"/> to the end of the stream and drops what it reads.</summary>
    protected override void Handle()
    {
        byte[] buffer = new byte[SocketReader.DefaultBufferSize];
        try
        {
            while (RFile.Read(buffer) > 0)
            {
            }
        }
        catch (IOException e) when (SocketErrors.IsPeerGone(e))
        {
        }
    }
}
