namespace SocketServer.ForkingHost;

internal sealed class HostStreamHandler : StreamRequestHandler
{
    protected override void Handle() => WFile.Write(MisbehavingLogic.Respond(System.Text.Encoding.ASCII.GetString(RFile.ReadLine())));
}

internal sealed class HostDatagramHandler : DatagramRequestHandler
{
    protected override void Handle() => WFile.Write(MisbehavingLogic.Respond(System.Text.Encoding.ASCII.GetString(Packet)));
}
