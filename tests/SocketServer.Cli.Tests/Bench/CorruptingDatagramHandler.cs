namespace SocketServer.Cli.Tests.Bench;

/// <summary>A broken udp echo: every datagram comes back with its last byte flipped.</summary>
internal sealed class CorruptingDatagramHandler : DatagramRequestHandler
{
    protected override void Handle()
    {
        byte[] reply = (byte[])Packet.Clone();
        reply[^1] ^= 0xFF;
        WFile.Write(reply);
    }
}
