namespace SocketServer.Internal.Requests;

/// <summary>How a transport that pools its datagrams sends an <see cref="AsyncDatagramRequestHandler"/>'s replies.</summary>
internal interface IDatagramReplies
{
    /// <summary>
    /// Sends <paramref name="datagram"/> to the sender of <paramref name="request"/> (its raw address): queued for the
    /// receive batch's send when called on the loop during a batch, otherwise at once.
    /// </summary>
    void Reply(DatagramRequest request, ReadOnlySpan<byte> datagram);
}
