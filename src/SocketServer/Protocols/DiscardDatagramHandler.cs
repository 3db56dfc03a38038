namespace SocketServer.Protocols;

/// <summary>The discard protocol (RFC 863) on datagrams: each datagram is ignored, and no reply is sent.</summary>
public class DiscardDatagramHandler : DatagramRequestHandler
{
    /// <summary>Does nothing with the datagram.</summary>
    protected override void Handle()
    {
    }

    /// <summary>
    /// Sends nothing: <see cref="DatagramRequestHandler"/>'s <c>Finish</c> always sends a reply, even an empty one, as
    /// Python's does, and RFC 863 wants none.
    /// </summary>
    protected override void Finish()
    {
    }
}
