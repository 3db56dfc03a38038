using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SocketServer.Forking.Tests;

/// <summary>
/// The PROXY protocol on a forking server: the parent reads the header before it hands the connection over, and the
/// worker sees the original client, the proxy's address and the TLVs, with the data that followed the header.
/// </summary>
public sealed class ForkingProxyProtocolTests
{
    private static readonly byte[] s_signature = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    [Theory]
    [InlineData("0")]
    [InlineData("1")]
    public void TheWorkerSeesTheOriginalClientAndTheDataAfterTheHeader(string serveAsync)
    {
        Assert.SkipUnless(OperatingSystem.IsLinux() && IntPtr.Size == 8, "the forking mode passes descriptors with SCM_RIGHTS, implemented for 64-bit Linux");
        var environment = new Dictionary<string, string> { ["FORKINGHOST_PROXY"] = "1", ["FORKINGHOST_SERVE_ASYNC"] = serveAsync };
        using var host = new HostProcess(environment, "tcp", "127.0.0.1:0");
        var address = IPEndPoint.Parse(host.Address);

        using (Socket proxy = Connect(address))
        {
            // HAProxy's golden vector (127.0.0.1:42, AUTHORITY "12345") and the command in one write.
            byte[] header =
            [
                .. s_signature, 0x21, 0x11, 0x00, 0x14,
                0x7f, 0x00, 0x00, 0x01, 0x7f, 0x00, 0x00, 0x01, 0x00, 0x2a, 0x05, 0x39,
                0x02, 0x00, 0x05, 0x31, 0x32, 0x33, 0x34, 0x35,
            ];
            proxy.Send([.. header, .. "client\n"u8]);
            string[] answer = ReadLine(proxy).Split('|');
            Assert.Equal("127.0.0.1:42", answer[0]);
            Assert.Equal(proxy.LocalEndPoint!.ToString(), answer[1]);
            Assert.Equal("12345", answer[2]);
            Assert.NotEqual(host.Pid.ToString(CultureInfo.InvariantCulture), answer[3]);
        }

        using (Socket bad = Connect(address))
        {
            // A malformed header never reaches a worker; the server goes on.
            bad.Send("PROXY TCP4 1.2.3.4 5.6.7.8 1 99999\r\nclient\n"u8);
            Assert.Equal(0, bad.Receive(new byte[16]));
        }

        using (Socket proxy = Connect(address))
        {
            proxy.Send("PROXY TCP6 2001:db8::9 ::1 7 8\r\nclient\n"u8);
            Assert.StartsWith("[2001:db8::9]:7|", ReadLine(proxy), StringComparison.Ordinal);
        }

        var (exitCode, _) = host.Close();
        Assert.Equal(0, exitCode);
    }

    private static Socket Connect(IPEndPoint address)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)
        {
            ReceiveTimeout = (int)HostProcess.Deadline.TotalMilliseconds,
            SendTimeout = (int)HostProcess.Deadline.TotalMilliseconds,
        };
        socket.Connect(address);
        return socket;
    }

    private static string ReadLine(Socket socket)
    {
        var line = new List<byte>();
        byte[] one = new byte[1];
        while (socket.Receive(one) == 1 && one[0] != (byte)'\n')
        {
            line.Add(one[0]);
        }

        return Encoding.UTF8.GetString([.. line]);
    }
}
