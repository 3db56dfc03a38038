using System.Globalization;
using System.Net.Sockets;
using System.Text;
using SocketServer.Cli.Tests.Infrastructure;

namespace SocketServer.Cli.Tests;

/// <summary>
/// <c>serve discard|daytime|chargen|time</c> as a process, on all four listener kinds in every mode, checked against
/// their RFCs (863, 867, 864, 868) by .NET clients, by python3 and by OpenBSD netcat.
/// </summary>
public sealed class ClassicProtocolTests
{
    private static readonly string[] s_classic = ["discard", "daytime", "chargen", "time"];

    public static TheoryData<string, string> ProtocolsAndModes()
    {
        var data = new TheoryData<string, string>();
        foreach (string protocol in s_classic)
        {
            foreach (string mode in ServerCases.Modes)
            {
                data.Add(protocol, mode);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ProtocolsAndModes))]
    public void ServesItsRfcOnEveryListenerKind(string protocol, string mode)
    {
        using var directory = new TempDirectory();
        using CliProcess cli = CliProcess.Start(
            "serve", protocol, "--tcp", "127.0.0.1:0", "--udp", "127.0.0.1:0", "--unix", directory.NewPath("stream"),
            "--unix-dgram", directory.NewPath("dgram"), "--mode", mode);
        IReadOnlyList<ReadyAddress> addresses = cli.WaitUntilListening(4);

        foreach (ReadyAddress address in addresses)
        {
            bool stream = address.Scheme is "tcp" or "unix";
            Action<ReadyAddress, TempDirectory> check = (protocol, stream) switch
            {
                ("discard", true) => DiscardStream,
                ("discard", false) => DiscardDatagram,
                ("daytime", true) => DaytimeStream,
                ("daytime", false) => DaytimeDatagram,
                ("chargen", true) => ChargenStream,
                ("chargen", false) => ChargenDatagram,
                ("time", true) => TimeStream,
                _ => TimeDatagram,
            };
            check(address, directory);
        }

        Assert.Equal(0, cli.Stop());
        // Clients that close a chargen stream, or never read the daytime or time they were sent, are no errors.
        Assert.Equal("", cli.Process.Stderr);
    }

    [Theory]
    [InlineData("sync")]
    [InlineData("threading")]
    [InlineData("async")]
    public void AChargenStreamEndsAtTheDrainAndCountsAsCompleted(string mode)
    {
        using CliProcess cli = CliProcess.Start("serve", "chargen", "--tcp", "127.0.0.1:0", "--mode", mode);
        ReadyAddress address = Assert.Single(cli.WaitUntilListening());
        using Socket client = Clients.Connect(address.EndPoint);
        Assert.Equal(ClassicExpectations.Chargen(1000), Receive(client, 1000));

        // The client keeps reading, so the server sees the drain between two writes rather than in a stuck send.
        Task<byte[]> rest = Task.Run(() => ReceiveToEnd(client));
        cli.Process.Signal(Signals.SIGTERM);

        Assert.True(rest.Wait(TestTimeouts.Long), "the chargen stream did not end at the drain");
        Assert.Equal(0, cli.Process.WaitForExit());
        Assert.EndsWith("drained: 1 completed, 0 closed idle, 0 aborted\n", cli.Process.Stdout.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Equal("", cli.Process.Stderr);
    }

    [Theory]
    [InlineData("daytime", "sync")]
    [InlineData("time", "forking")]
    [InlineData("chargen", "async")]
    [InlineData("discard", "threading")]
    public void AnswersPython(string protocol, string mode)
    {
        string python = Tools.Require("python3");
        using var directory = new TempDirectory();
        using CliProcess cli = CliProcess.Start(
            "serve", protocol, "--tcp", "127.0.0.1:0", "--udp", "127.0.0.1:0", "--unix", directory.NewPath("stream"),
            "--unix-dgram", directory.NewPath("dgram"), "--mode", mode);

        foreach (ReadyAddress address in cli.WaitUntilListening(4))
        {
            if (protocol == "discard" && address.Scheme is "udp" or "unix-dgram")
            {
                // Nothing comes back: there is nothing for a client to print.
                continue;
            }

            string target = address.Scheme is "tcp" or "udp" ? $"{address.Host}:{address.Port}" : address.Path;
            DateTime before = DateTime.Now;
            DateTimeOffset beforeUtc = DateTimeOffset.UtcNow;
            ToolRun run = ToolRun.Run(python, [Path.Combine(AppContext.BaseDirectory, "peers", "rfc_client.py"), protocol, address.Scheme, target]);
            Assert.True(run.ExitCode == 0, $"{address.Uri}: {run.Stderr}");
            switch (protocol)
            {
                case "daytime":
                    ClassicExpectations.AssertDaytime(run.Stdout, before, DateTime.Now);
                    break;
                case "time":
                    ClassicExpectations.AssertTime(uint.Parse(run.Stdout, CultureInfo.InvariantCulture), beforeUtc, DateTimeOffset.UtcNow);
                    break;
                case "chargen" when address.Scheme is "tcp" or "unix":
                    Assert.Equal(Encoding.ASCII.GetString(ClassicExpectations.Chargen(10000)), run.Stdout);
                    break;
                case "chargen":
                    Assert.InRange(run.Stdout.Length, 0, 512);
                    Assert.Equal(Encoding.ASCII.GetString(ClassicExpectations.Chargen(run.Stdout.Length)), run.Stdout);
                    break;
                default:
                    Assert.Equal("received 0", run.Stdout);
                    break;
            }
        }

        Assert.Equal(0, cli.Stop());
        Assert.Equal("", cli.Process.Stderr);
    }

    [Fact]
    public void DaytimeAnswersNetcatOverTcpAndUdp()
    {
        string nc = Tools.Require("nc");
        using CliProcess cli = CliProcess.Start("serve", "daytime", "--tcp", "127.0.0.1:0", "--udp", "127.0.0.1:0", "--mode", "threading");
        IReadOnlyList<ReadyAddress> addresses = cli.WaitUntilListening(2);
        static string[] HostPort(ReadyAddress a) => [a.Host, a.Port.ToString(CultureInfo.InvariantCulture)];

        // -N: nc shuts its side down at the end of its (empty) input and prints what comes until the server closes.
        DateTime before = DateTime.Now;
        ToolRun tcp = ToolRun.Run(nc, ["-N", .. HostPort(addresses[0])], "");
        ClassicExpectations.AssertDaytime(tcp.Stdout, before, DateTime.Now);
        Assert.Equal(0, tcp.ExitCode);

        // Over UDP the server answers the datagram nc sends for the line typed; nc never ends by itself.
        before = DateTime.Now;
        string udp = PeerExchange.Run(nc, ["-u", .. HostPort(addresses[1])], "\n", "\r\n", datagram: true);
        ClassicExpectations.AssertDaytime(udp, before, DateTime.Now);

        Assert.Equal(0, cli.Stop());
    }

    [Fact]
    public void ChargenStreamsToNetcatUntilItGoesAway()
    {
        string nc = Tools.Require("nc");
        using CliProcess cli = CliProcess.Start("serve", "chargen", "--tcp", "127.0.0.1:0", "--mode", "sync");
        ReadyAddress address = Assert.Single(cli.WaitUntilListening());
        string expected = Encoding.ASCII.GetString(ClassicExpectations.Chargen(20000));

        // -d: nc reads nothing from its input, and only prints what the server sends.
        using (ChildProcess peer = ChildProcess.Start(nc, ["-d", address.Host, address.Port.ToString(CultureInfo.InvariantCulture)]))
        {
            string output = peer.WaitForStdout(static o => o.Length >= 20000);
            Assert.Equal(expected, output[..20000]);
        }

        // nc was killed: the sync server, which serves one client at a time, is free for the next.
        using Socket next = Clients.Connect(address.EndPoint);
        Assert.Equal(ClassicExpectations.Chargen(100), Receive(next, 100));
        next.Dispose();
        Assert.Equal(0, cli.Stop());
        Assert.Equal("", cli.Process.Stderr);
    }

    private static void DiscardStream(ReadyAddress address, TempDirectory directory)
    {
        using Socket client = Clients.Connect(address.EndPoint);
        // More than the socket buffers hold: the server must read it all for the sends to finish.
        byte[] block = new byte[1 << 20];
        for (int i = 0; i < 4; i++)
        {
            client.Send(block);
        }

        client.Shutdown(SocketShutdown.Send);
        Assert.Empty(ReceiveToEnd(client));
    }

    // That no reply comes cannot be seen without a time limit; the library's tests show it by the order of replies.
    private static void DiscardDatagram(ReadyAddress address, TempDirectory directory) =>
        Clients.DatagramSend(address.EndPoint, "thrown away\n"u8.ToArray(), directory);

    private static void DaytimeStream(ReadyAddress address, TempDirectory directory)
    {
        DateTime before = DateTime.Now;
        using Socket client = Clients.Connect(address.EndPoint);
        string reply = Encoding.ASCII.GetString(ReceiveToEnd(client));
        ClassicExpectations.AssertDaytime(reply, before, DateTime.Now);
    }

    private static void DaytimeDatagram(ReadyAddress address, TempDirectory directory)
    {
        DateTime before = DateTime.Now;
        string reply = Encoding.ASCII.GetString(Clients.DatagramRoundTrip(address.EndPoint, "what time is it?\n"u8.ToArray(), directory));
        ClassicExpectations.AssertDaytime(reply, before, DateTime.Now);
    }

    private static void TimeStream(ReadyAddress address, TempDirectory directory)
    {
        DateTimeOffset before = DateTimeOffset.UtcNow;
        using Socket client = Clients.Connect(address.EndPoint);
        ClassicExpectations.AssertTime(ReceiveToEnd(client), before, DateTimeOffset.UtcNow);
    }

    private static void TimeDatagram(ReadyAddress address, TempDirectory directory)
    {
        // RFC 868: the client sends an empty datagram.
        DateTimeOffset before = DateTimeOffset.UtcNow;
        ClassicExpectations.AssertTime(Clients.DatagramRoundTrip(address.EndPoint, [], directory), before, DateTimeOffset.UtcNow);
    }

    private static void ChargenStream(ReadyAddress address, TempDirectory directory)
    {
        // Three turns of the ring (95 lines of 74 bytes) and a bit: the stream goes on where the ring starts again.
        const int length = (3 * 95 * 74) + 100;
        using (Socket client = Clients.Connect(address.EndPoint))
        {
            Assert.Equal(ClassicExpectations.Chargen(length), Receive(client, length));
        }

        // The client above closed in the middle of the stream; the listener serves the next one (under sync, only
        // once the first handler has ended).
        using Socket next = Clients.Connect(address.EndPoint);
        Assert.Equal(ClassicExpectations.Chargen(100), Receive(next, 100));
    }

    private static void ChargenDatagram(ReadyAddress address, TempDirectory directory)
    {
        for (int i = 0; i < 5; i++)
        {
            byte[] reply = Clients.DatagramRoundTrip(address.EndPoint, "x"u8.ToArray(), directory);
            Assert.InRange(reply.Length, 0, 512);
            Assert.Equal(ClassicExpectations.Chargen(reply.Length), reply);
        }
    }

    private static byte[] Receive(Socket socket, int length)
    {
        byte[] received = new byte[length];
        int at = 0;
        while (at < length)
        {
            int n = socket.Receive(received.AsSpan(at));
            Assert.True(n > 0, $"the server closed after {at} of {length} bytes");
            at += n;
        }

        return received;
    }

    private static byte[] ReceiveToEnd(Socket socket)
    {
        var received = new List<byte>();
        byte[] buffer = new byte[65536];
        int n;
        while ((n = socket.Receive(buffer)) > 0)
        {
            received.AddRange(buffer.AsSpan(0, n));
        }

        return [.. received];
    }
}
