using System.Globalization;
using System.Text;

namespace SocketServer.ForkingHost;

internal sealed class HostStreamHandler : StreamRequestHandler
{
    protected override void Handle()
    {
        string command = Encoding.ASCII.GetString(RFile.ReadLine());
        if (command.Trim() == "client")
        {
            // What the worker knows of its client: the original one behind a PROXY header.
            WFile.Write(Encoding.UTF8.GetBytes($"{ClientAddress}|{ProxyHeader?.ProxyAddress}|{ProxyHeader?.Authority}|{Environment.ProcessId}\n"));
            return;
        }

        if (command.Trim() == "hold")
        {
            // Says which worker holds the connection, then waits for the next line as an idle echo connection does.
            WFile.Write(Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n"));
            WFile.Write(RFile.ReadLine());
            return;
        }

        WFile.Write(MisbehavingLogic.Respond(command));
    }
}

internal sealed class HostDatagramHandler : DatagramRequestHandler
{
    protected override void Handle() => WFile.Write(MisbehavingLogic.Respond(Encoding.ASCII.GetString(Packet)));
}
