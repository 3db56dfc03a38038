using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using SocketServer.Cli.Tests.Infrastructure;

namespace SocketServer.Cli.Tests;

/// <summary>The built CLI as a process: ready lines, signals and exit codes, talked to by .NET clients.</summary>
public sealed class ServeCommandTests
{
    [Theory]
    [InlineData("threading")]
    [InlineData("forking")]
    [InlineData("async")]
    public void LocalhostServesBothLoopbacksOnOnePort(string mode)
    {
        using var directory = new TempDirectory();
        bool ipv6 = HasIPv6Loopback();
        using CliProcess cli = CliProcess.Start("serve", "echo", "--tcp", "localhost:0", "--udp", "localhost:0", "--mode", mode);

        IReadOnlyList<ReadyAddress> addresses = cli.WaitUntilListening(ipv6 ? 4 : 2);

        string[] expected = ipv6 ? ["tcp 127.0.0.1", "tcp ::1", "udp 127.0.0.1", "udp ::1"] : ["tcp 127.0.0.1", "udp 127.0.0.1"];
        Assert.Equal(expected, addresses.Select(a => $"{a.Scheme} {a.Host}"));
        if (ipv6)
        {
            // One port for both loopbacks, as a client resolving "localhost" to either expects.
            Assert.Equal(addresses[0].Port, addresses[1].Port);
            Assert.Equal(addresses[2].Port, addresses[3].Port);
        }

        foreach (ReadyAddress address in addresses)
        {
            byte[] message = Encoding.ASCII.GetBytes($"hello {address.Uri}\n");
            Assert.Equal(message, Clients.RoundTrip(address, message, directory));
        }

        Assert.Equal(0, cli.Stop());
        Assert.Equal("", cli.Process.Stderr);
    }

    [Theory]
    [InlineData("sync")]
    [InlineData("threading")]
    [InlineData("forking")]
    [InlineData("async")]
    public void ServesEveryListenerGivenAndPrintsOneReadyLineEach(string mode)
    {
        using var directory = new TempDirectory();
        string unixPath = directory.NewPath("stream");
        string dgramPath = directory.NewPath("dgram");
        using CliProcess cli = CliProcess.Start(
            "serve", "echo", "--tcp", "127.0.0.1:0", "--tcp", "127.0.0.2:0", "--udp", "127.0.0.1:0",
            "--unix", unixPath, "--unix-dgram", dgramPath, "--mode", mode);

        IReadOnlyList<ReadyAddress> addresses = cli.WaitUntilListening(5);

        Assert.Equal(["tcp", "tcp", "udp", "unix", "unix-dgram"], addresses.Select(a => a.Scheme));
        Assert.Equal(["127.0.0.1", "127.0.0.2", "127.0.0.1"], addresses.Take(3).Select(a => a.Host));
        Assert.All(addresses.Take(3), a => Assert.NotEqual(0, a.Port));
        Assert.Equal(unixPath, addresses[3].Path);
        Assert.Equal(dgramPath, addresses[4].Path);
        foreach (ReadyAddress address in addresses)
        {
            byte[] message = Encoding.ASCII.GetBytes($"hello {address.Uri}\n");
            Assert.Equal(message, Clients.RoundTrip(address, message, directory));
        }

        Assert.Equal(0, cli.Stop());
        string[] stdout = cli.Process.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(5, stdout.Count(static l => l.StartsWith("listening on ", StringComparison.Ordinal)));
        Assert.Equal("drained: 0 completed, 0 closed idle, 0 aborted", stdout[^1]);
        Assert.Equal("", cli.Process.Stderr);
    }

    [Theory]
    [InlineData("sync")]
    [InlineData("threading")]
    [InlineData("forking")]
    public void RawHandlerEchoesThroughTheRequestSocket(string mode)
    {
        using var directory = new TempDirectory();
        using CliProcess cli = CliProcess.Start(
            "serve", "echo", "--handler", "raw", "--tcp", "127.0.0.1:0", "--udp", "127.0.0.1:0", "--unix", directory.NewPath("stream"), "--mode", mode);

        IReadOnlyList<ReadyAddress> addresses = cli.WaitUntilListening(3);

        // More than one 64 KiB receive on the streams, so the loop and the whole send are both exercised.
        byte[] large = [.. Enumerable.Range(0, 300_000).Select(static i => (byte)(i * 7))];
        foreach (ReadyAddress address in addresses)
        {
            byte[] message = address.Scheme == "udp" ? Encoding.ASCII.GetBytes("hello udp\n") : large;
            Assert.Equal(message, Clients.RoundTrip(address, message, directory));
        }

        Assert.Equal(0, cli.Stop());
        Assert.Equal("", cli.Process.Stderr);
    }

    [Theory]
    [InlineData("discard", "sync", "socketserver: --handler raw serves echo only.")]
    [InlineData("echo", "async", "socketserver: --handler raw needs --mode sync, threading or forking (async handlers read pipes, not the socket).")]
    public void RawHandlerRefusesWhatItCannotServe(string protocol, string mode, string line)
    {
        ToolRun run = CliProcess.Run("serve", protocol, "--handler", "raw", "--tcp", "127.0.0.1:0", "--mode", mode);

        Assert.Equal(1, run.ExitCode);
        Assert.Equal(line + "\n", run.Stderr);
        Assert.Equal("", run.Stdout);
    }

    [Fact]
    public void RawHandlerRefusesTls()
    {
        using var files = new TlsFiles();
        ToolRun run = CliProcess.Run("serve", "echo", "--handler", "raw", "--tcp", "127.0.0.1:0", "--mode", "threading", "--tls-cert", files.Certificate, "--tls-key", files.Key);

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("socketserver: --handler raw cannot serve TLS (it reads the socket itself); leave out --tls-cert.\n", run.Stderr);
    }

    [Fact]
    public void ServesIPv6Loopback()
    {
        if (!Socket.OSSupportsIPv6)
        {
            Assert.Skip("IPv6 is not available");
        }

        using var directory = new TempDirectory();
        using CliProcess cli = CliProcess.Start("serve", "echo", "--tcp", "[::1]:0", "--udp", "[::1]:0");

        IReadOnlyList<ReadyAddress> addresses = cli.WaitUntilListening(2);

        Assert.All(addresses, a => Assert.StartsWith($"{a.Scheme}://[::1]:", a.Uri, StringComparison.Ordinal));
        foreach (ReadyAddress address in addresses)
        {
            byte[] message = "hello over IPv6\n"u8.ToArray();
            Assert.Equal(message, Clients.RoundTrip(address, message, directory));
        }

        Assert.Equal(0, cli.Stop());
    }

    [Theory]
    [InlineData(Signals.SIGINT)]
    [InlineData(Signals.SIGTERM)]
    public void SignalStopsCleanlyWithExitCodeZero(int signal)
    {
        using CliProcess cli = CliProcess.Start("serve", "echo", "--tcp", "127.0.0.1:0");
        ReadyAddress address = Assert.Single(cli.WaitUntilListening());

        Assert.Equal(0, cli.Stop(signal));
        Assert.Equal("", cli.Process.Stderr);
        Assert.Throws<SocketException>(() => Clients.Connect(address.EndPoint).Dispose());
    }

    [Fact]
    public void SigtermStopsAThreadingServerWhileAClientIsConnected()
    {
        using CliProcess cli = CliProcess.Start("serve", "echo", "--tcp", "127.0.0.1:0", "--mode", "threading");
        ReadyAddress address = Assert.Single(cli.WaitUntilListening());
        using Socket idle = Clients.Connect(address.EndPoint);
        // A round trip on the idle client proves its handler thread is running.
        idle.Send("ping\n"u8);
        byte[] buffer = new byte[5];
        Assert.Equal(5, idle.Receive(buffer));

        Assert.Equal(0, cli.Stop());
    }

    [Theory]
    [InlineData("sync")]
    [InlineData("threading")]
    [InlineData("async")]
    public void SigtermDrainsClosingAnIdleClientAndReportsTheCounts(string mode)
    {
        using CliProcess cli = CliProcess.Start("serve", "echo", "--tcp", "127.0.0.1:0", "--mode", mode, "--drain-timeout", "30");
        ReadyAddress address = Assert.Single(cli.WaitUntilListening());
        using Socket idle = Clients.Connect(address.EndPoint);
        idle.Send("ping\n"u8);
        byte[] buffer = new byte[5];
        Assert.Equal(5, idle.Receive(buffer));

        // The client is idle, so the drain closes its connection at once (no 30 s wait) and aborts nothing. Whether it
        // counts it as closed idle or as a request completed depends on whether the handler was already back in its
        // read when the signal came, or still returning from its send (it then finishes that request, goes back to
        // reading and is closed there): nothing outside the process can tell these apart, and both are right.
        cli.Process.Signal(Signals.SIGTERM);
        Assert.Equal(0, idle.Receive(buffer));
        Assert.Equal(0, cli.Process.WaitForExit());
        Assert.Matches(
            @"drained: (0 completed, 1 closed idle|1 completed, 0 closed idle), 0 aborted\n$",
            cli.Process.Stdout.ReplaceLineEndings("\n"));
        Assert.Equal("", cli.Process.Stderr);
    }

    [Fact]
    public void ASecondSignalStopsASyncServerThatIsServingAnIdleClient()
    {
        using CliProcess cli = CliProcess.Start("serve", "echo", "--tcp", "127.0.0.1:0", "--mode", "sync");
        ReadyAddress address = Assert.Single(cli.WaitUntilListening());
        using Socket idle = Clients.Connect(address.EndPoint);
        idle.Send("ping\n"u8);
        byte[] buffer = new byte[5];
        Assert.Equal(5, idle.Receive(buffer));

        // The sync loop is inside the idle client's request: the first signal waits for it, the second stops waiting.
        cli.Process.Signal(Signals.SIGTERM);
        Assert.Equal(0, cli.Stop(Signals.SIGINT));
    }

    [Theory]
    [InlineData("sync")]
    [InlineData("threading")]
    [InlineData("async")]
    public void ASecondSignalDuringTheDrainSaysItCutTheDrainShort(string mode)
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "telling a request in progress from an idle one reads /proc/net/tcp");
        using CliProcess cli = CliProcess.Start("serve", "timestamp", "--tcp", "127.0.0.1:0", "--mode", mode);
        ReadyAddress address = Assert.Single(cli.WaitUntilListening());
        using Socket client = Clients.Connect(address.EndPoint);
        // Half a line, read by the server: a request in progress, which the drain waits for (30 s by default).
        client.Send("no newline yet"u8);
        TcpQueues.WaitUntilServerHasRead(client);

        // Two different signals, so that the kernel cannot merge them into one; either may be handled first.
        cli.Process.Signal(Signals.SIGTERM);
        cli.Process.Signal(Signals.SIGINT);

        Assert.Equal(0, cli.Process.WaitForExit());
        string[] stderr = cli.Process.Stderr.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n');
        Assert.Equal(2, stderr.Length);
        Assert.Matches(@"^socketserver: a second SIG(TERM|INT) cut the drain short: requests still in progress are aborted now\.$", stderr[0]);
        Assert.Matches(
            $@"^socketserver: tcp://{Regex.Escape(address.EndPoint.ToString()!)}: aborted the connection from {Regex.Escape(client.LocalEndPoint!.ToString()!)}: The server is shutting down and its drain was cut short after [0-9.]+ s \(of a 30 s grace period\) before this request finished\.$",
            stderr[1]);
        Assert.EndsWith("drained: 0 completed, 0 closed idle, 1 aborted\n", cli.Process.Stdout.ReplaceLineEndings("\n"), StringComparison.Ordinal);
    }

    [Fact]
    public void RemovesItsUnixSocketFilesOnStop()
    {
        using var directory = new TempDirectory();
        string stream = directory.NewPath();
        string dgram = directory.NewPath();
        using CliProcess cli = CliProcess.Start("serve", "echo", "--unix", stream, "--unix-dgram", dgram);
        cli.WaitUntilListening(2);
        Assert.True(File.Exists(stream));

        Assert.Equal(0, cli.Stop());
        Assert.False(File.Exists(stream));
        Assert.False(File.Exists(dgram));
    }

    [Fact]
    public void ServesAnAbstractUnixSocketWithoutTouchingFiles()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Skip("abstract Unix sockets are Linux only");
        }

        using var directory = new TempDirectory();
        string name = "@ssc-" + Guid.NewGuid().ToString("N")[..12];
        using CliProcess cli = CliProcess.Start("serve", "echo", "--unix", name);
        ReadyAddress address = Assert.Single(cli.WaitUntilListening());

        Assert.Equal($"unix:{name}", address.Uri);
        Assert.Equal("abstract\n"u8.ToArray(), Clients.RoundTrip(address, "abstract\n"u8.ToArray(), directory));
        Assert.Equal(0, cli.Stop());
    }

    [Fact]
    public void TimestampAnswersDatagramsWithTheTimeInFront()
    {
        using var directory = new TempDirectory();
        using CliProcess cli = CliProcess.Start("serve", "timestamp", "--udp", "127.0.0.1:0", "--unix-dgram", directory.NewPath());
        foreach (ReadyAddress address in cli.WaitUntilListening(2))
        {
            string reply = Encoding.ASCII.GetString(Clients.RoundTrip(address, "hello"u8.ToArray(), directory));
            Assert.Matches(TimestampFormat.Reply + "$", reply);
        }

        Assert.Equal(0, cli.Stop());
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("udp")]
    public void PortInUseExitsWithTwoNamingTheAddress(string kind)
    {
        using Socket occupier = Occupy(kind);
        int port = ((IPEndPoint)occupier.LocalEndPoint!).Port;

        ToolRun run = CliProcess.Run("serve", "echo", $"--{kind}", $"127.0.0.1:{port}");

        Assert.Equal(2, run.ExitCode);
        string line = Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"{kind}://127.0.0.1:{port}", line, StringComparison.Ordinal);
        Assert.Contains("already in use", line, StringComparison.Ordinal);
        Assert.Equal("", run.Stdout);
    }

    [Fact]
    public void ALaterBindFailureClosesTheEarlierListenersAndPrintsNoReadyLine()
    {
        using var directory = new TempDirectory();
        string bound = directory.NewPath();
        string taken = directory.NewPath();
        File.WriteAllText(taken, "");

        // Listeners bind in option order (--tcp, --udp, --unix, --unix-dgram): the last one fails.
        ToolRun run = CliProcess.Run("serve", "echo", "--tcp", "127.0.0.1:0", "--unix", bound, "--unix-dgram", taken);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("", run.Stdout);
        Assert.Contains($"unix-dgram:{taken}", Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);
        Assert.False(File.Exists(bound), "the Unix listener bound before the failure must be closed and its file removed");
    }

    [Fact]
    public void ALaterPortInUseFailsTheWholeCommand()
    {
        using Socket occupier = Occupy("tcp");
        int port = ((IPEndPoint)occupier.LocalEndPoint!).Port;

        ToolRun run = CliProcess.Run("serve", "echo", "--tcp", "127.0.0.1:0", "--tcp", $"127.0.0.1:{port}");

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("", run.Stdout);
        Assert.Contains($"tcp://127.0.0.1:{port}", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void AnExistingUnixPathExitsWithTwo()
    {
        using var directory = new TempDirectory();
        string path = directory.NewPath();
        File.WriteAllText(path, "");

        ToolRun run = CliProcess.Run("serve", "echo", "--unix", path);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"unix:{path}", run.Stderr, StringComparison.Ordinal);
        Assert.True(File.Exists(path), "a file the CLI did not create must be left alone");
    }

    [Theory]
    [InlineData("--tcp", "nonsense")]
    [InlineData("--tcp", "1.2.3.4:99999")]
    [InlineData("--udp", "[::1]")]
    [InlineData("--unix", "")]
    public void BadAddressExitsWithTwoNamingTheValue(string option, string value)
    {
        ToolRun run = CliProcess.Run("serve", "echo", option, value);

        Assert.Equal(2, run.ExitCode);
        string line = Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"{option} value '{value}'", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("socketserver: serve needs <protocol>: echo|discard|daytime|chargen|time|timestamp", "serve")]
    [InlineData("socketserver: Required argument missing for option: '--tcp'.", "serve", "echo", "--tcp")]
    [InlineData("socketserver: unknown option '--nonsense'", "serve", "echo", "--nonsense")]
    [InlineData("socketserver: unexpected argument 'extra'", "serve", "echo", "extra")]
    public void AUsageErrorIsOneLineThenAPointerToTheHelpOnStandardError(string line, params string[] arguments)
    {
        ToolRun run = CliProcess.Run(arguments);

        // The error first, as git and dotnet do; no help text on standard output to bury it.
        Assert.Equal($"{line}\nRun 'socketserver serve --help' for usage.\n", run.Stderr.ReplaceLineEndings("\n"));
        Assert.Equal("", run.Stdout);
        Assert.Equal(ExitCodes.Usage, run.ExitCode);
    }

    [Fact]
    public void AUsageErrorOfTheRootCommandPointsToItsHelp()
    {
        ToolRun run = CliProcess.Run("serv", "echo");

        Assert.Equal("socketserver: unexpected argument 'serv'\nRun 'socketserver --help' for usage.\n", run.Stderr.ReplaceLineEndings("\n"));
        Assert.Equal("", run.Stdout);
        Assert.Equal(ExitCodes.Usage, run.ExitCode);
    }

    [Fact]
    public void HelpNamesTheCommandAndExitsWithZero()
    {
        ToolRun run = CliProcess.Run("serve", "--help");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("socketserver serve <protocol> [options]", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("--unix-dgram <PATH>", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void WithoutAListenerServesTcpOnTheSeedsAddress()
    {
        if (!IsFree(10001))
        {
            Assert.Skip("127.0.0.1:10001 is in use");
        }

        using CliProcess cli = CliProcess.Start("serve", "echo");
        ReadyAddress address = Assert.Single(cli.WaitUntilListening());

        Assert.Equal("tcp://127.0.0.1:10001", address.Uri);
        Assert.Equal("hi\n"u8.ToArray(), Clients.StreamRoundTrip(address.EndPoint, "hi\n"u8.ToArray()));
        Assert.Equal(0, cli.Stop());
    }

    private static Socket Occupy(string kind)
    {
        Socket socket = kind == "tcp"
            ? new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)
            : new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        if (kind == "tcp")
        {
            socket.Listen();
        }

        return socket;
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            probe.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static bool HasIPv6Loopback()
    {
        try
        {
            using var probe = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp);
            probe.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
