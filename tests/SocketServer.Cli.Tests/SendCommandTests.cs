using System.Net;
using System.Net.Sockets;
using SocketServer.Cli.Tests.Infrastructure;

namespace SocketServer.Cli.Tests;

/// <summary>
/// <c>send ADDRESS [LINE]...</c> as a process against <c>serve echo</c> and <c>serve timestamp</c> on every kind of
/// address: lines from the arguments and from standard input, a connection per line, no reply, no server, and the
/// Unix datagram client's temporary socket, which must not outlive the command.
/// </summary>
public sealed class SendCommandTests
{
    [Theory]
    [InlineData("echo", "sync")]
    [InlineData("echo", "async")]
    [InlineData("timestamp", "threading")]
    [InlineData("timestamp", "forking")]
    public void SendsTheArgumentsAndPrintsTheRepliesOnEveryKindOfAddress(string protocol, string mode)
    {
        using var directory = new TempDirectory();
        using var clientTemp = new TempDirectory();
        using CliProcess server = CliProcess.Start(
            "serve", protocol, "--tcp", "127.0.0.1:0", "--udp", "127.0.0.1:0", "--unix", directory.NewPath("stream"),
            "--unix-dgram", directory.NewPath("dgram"), "--mode", mode);

        foreach (ReadyAddress address in server.WaitUntilListening(4))
        {
            // On a stream the timestamp server answers one line and closes: one line per connection (see below).
            bool oneLine = protocol == "timestamp" && address.Scheme is "tcp" or "unix";
            string[] lines = oneLine ? ["hello"] : ["hello", "hello again"];

            ToolRun run = CliProcess.RunWith(null, TempFor(clientTemp), ["send", address.Uri, .. lines]);

            Assert.True(run.ExitCode == 0, $"{address.Uri}: exit {run.ExitCode}: {run.Stderr}");
            Assert.Equal("", run.Stderr);
            if (protocol == "echo")
            {
                Assert.Equal("hello\nhello again\n", run.Stdout);
            }
            else
            {
                string[] replies = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
                Assert.Equal(lines.Length, replies.Length);
                Assert.Matches(TimestampFormat.Reply + "$", replies[0]);
                Assert.All(replies.Skip(1), static r => Assert.Matches(TimestampFormat.Reply + " again$", r));
            }
        }

        // The Unix datagram client bound a socket in a directory of its own under TMPDIR, and removed both.
        Assert.Empty(Directory.EnumerateFileSystemEntries(clientTemp.Path));
        Assert.Equal(0, server.Stop());
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("udp")]
    [InlineData("unix")]
    [InlineData("unix-dgram")]
    public void SendsTheLinesOfStandardInputAsTheyCame(string kind)
    {
        using var directory = new TempDirectory();
        (CliProcess server, ReadyAddress address) = ServerCases.StartServer("echo", kind, "threading", directory);
        using (server)
        {
            // CR LF stays CR LF, and the last line, which has no newline, gets one.
            ToolRun run = CliProcess.RunWith("one\ntwo\r\nthree", null, "send", address.Uri);

            Assert.True(run.ExitCode == 0, run.Stderr);
            Assert.Equal("one\ntwo\r\nthree\n", run.Stdout);
            Assert.Equal("", run.Stderr);
            Assert.Equal(0, server.Stop());
        }
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("unix")]
    public void ConnectionPerLineGetsEveryLineOfATimestampServerAnswered(string kind)
    {
        using var directory = new TempDirectory();
        (CliProcess server, ReadyAddress address) = ServerCases.StartServer("timestamp", kind, "sync", directory);
        using (server)
        {
            ToolRun run = CliProcess.RunWith("hello\nhello again\n", null, "send", address.Uri, "--connection-per-line");

            Assert.True(run.ExitCode == 0, run.Stderr);
            string[] replies = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(2, replies.Length);
            Assert.Matches(TimestampFormat.Reply + "$", replies[0]);
            Assert.Matches(TimestampFormat.Reply + " again$", replies[1]);
            Assert.Equal(0, server.Stop());
        }
    }

    [Fact]
    public void LinesThatStartWithADashGoAfterTwoDashes()
    {
        using var directory = new TempDirectory();
        (CliProcess server, ReadyAddress address) = ServerCases.StartServer("echo", "tcp", "threading", directory);
        using (server)
        {
            ToolRun run = CliProcess.Run("send", address.Uri, "--wait", "10", "--", "--not-an-option", "-");

            Assert.True(run.ExitCode == 0, run.Stderr);
            Assert.Equal("--not-an-option\n-\n", run.Stdout);
            Assert.Equal(0, server.Stop());
        }
    }

    [Fact]
    public void WithNoLinesAStreamIsOpenedAndReadToItsEnd()
    {
        // What daytime and time need: connect, send nothing, print what the server says.
        using var directory = new TempDirectory();
        (CliProcess server, ReadyAddress address) = ServerCases.StartServer("daytime", "tcp", "threading", directory);
        using (server)
        {
            DateTime before = DateTime.Now;
            ToolRun run = CliProcess.RunWith("", null, "send", address.Uri);

            Assert.True(run.ExitCode == 0, run.Stderr);
            ClassicExpectations.AssertDaytime(run.Stdout, before, DateTime.Now);
            Assert.Equal(0, server.Stop());
        }
    }

    [Fact]
    public void NoReplyOnAStreamIsExitCodeSixWithOneLine()
    {
        using var directory = new TempDirectory();
        (CliProcess server, ReadyAddress address) = ServerCases.StartServer("discard", "tcp", "threading", directory);
        using (server)
        {
            ToolRun run = CliProcess.Run("send", address.Uri, "into the void");

            Assert.Equal(ExitCodes.NoReply, run.ExitCode);
            Assert.Equal("", run.Stdout);
            Assert.Equal($"socketserver: no reply from {address.Uri}: the server closed the connection without answering.\n", run.Stderr);
            Assert.Equal(0, server.Stop());
        }
    }

    [Fact]
    public void NoReplyToADatagramIsExitCodeSixWithOneLine()
    {
        using var directory = new TempDirectory();
        (CliProcess server, ReadyAddress address) = ServerCases.StartServer("discard", "udp", "threading", directory);
        using (server)
        {
            // The discard server never answers, so this wait for an answer cannot end any other way.
            ToolRun run = CliProcess.Run("send", address.Uri, "into the void", "--wait", "0.2");

            Assert.Equal(ExitCodes.NoReply, run.ExitCode);
            Assert.Equal("", run.Stdout);
            Assert.Equal($"socketserver: no reply to line 1 from {address.Uri} within 0.2 s (--wait).\n", run.Stderr);
            Assert.Equal(0, server.Stop());
        }
    }

    [Fact]
    public void NobodyListeningIsExitCodeTwoWithOneLine()
    {
        using var directory = new TempDirectory();
        // Bound but not listening: a connect to it is refused.
        using var bound = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        bound.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        string tcp = $"tcp://127.0.0.1:{((IPEndPoint)bound.LocalEndPoint!).Port}";
        string missing = directory.NewPath("missing");

        ToolRun refused = CliProcess.Run("send", tcp, "hello");
        ToolRun noFile = CliProcess.Run("send", $"unix:{missing}", "hello");
        ToolRun noDatagramFile = CliProcess.Run("send", $"unix-dgram:{missing}", "hello");

        Assert.Equal((ExitCodes.Address, "", $"socketserver: Cannot connect to {tcp}: connection refused (nothing listens there).\n"), (refused.ExitCode, refused.Stdout, refused.Stderr));
        Assert.Equal((ExitCodes.Address, "", $"socketserver: Cannot connect to unix:{missing}: no such socket file.\n"), (noFile.ExitCode, noFile.Stdout, noFile.Stderr));
        Assert.Equal((ExitCodes.Address, "", $"socketserver: Cannot reach unix-dgram:{missing}: no such socket file.\n"), (noDatagramFile.ExitCode, noDatagramFile.Stdout, noDatagramFile.Stderr));
    }

    [Fact]
    public void ASignalEndsItAndItsUnixDatagramSocketGoesWithIt()
    {
        using var directory = new TempDirectory();
        using var clientTemp = new TempDirectory();
        (CliProcess server, ReadyAddress address) = ServerCases.StartServer("echo", "unix-dgram", "sync", directory);
        using (server)
        using (CliProcess send = CliProcess.Start(TempFor(clientTemp), "send", address.Uri))
        {
            // Standard input stays open: send waits for the next line when the signal comes.
            send.Process.Write("first\n");
            send.Process.WaitForStdout(static o => o == "first\n");
            Assert.Single(Directory.EnumerateFileSystemEntries(clientTemp.Path));

            Assert.Equal(0, send.Stop(Signals.SIGTERM));
            Assert.Empty(Directory.EnumerateFileSystemEntries(clientTemp.Path));
            Assert.Equal("", send.Process.Stderr);
            Assert.Equal(0, server.Stop());
        }
    }

    [Theory]
    [InlineData("udp://127.0.0.1:9", "--tls", "socketserver: TLS (--tls) needs a stream address (tcp://, unix:); udp://127.0.0.1:9 is a datagram one.")]
    [InlineData("tcp://127.0.0.1:9", "--tls-insecure", "socketserver: --tls-ca and --tls-insecure need --tls, or a tls:// or unix+tls: address.")]
    [InlineData("udp://127.0.0.1:9", "--connection-per-line", "socketserver: --connection-per-line is for stream addresses (tcp://, unix:); on datagrams (udp://127.0.0.1:9) each line is a datagram anyway.")]
    [InlineData("tcp://127.0.0.1:0", "--wait=1", "socketserver: Invalid <address> value 'tcp://127.0.0.1:0': port 0 cannot be connected to.")]
    public void OptionsThatDoNotFitAreExitCodeTwoWithOneLine(string address, string option, string line)
    {
        ToolRun run = CliProcess.Run("send", address, option, "hello");

        Assert.Equal(ExitCodes.Address, run.ExitCode);
        Assert.Equal(line + "\n", run.Stderr);
        Assert.Equal("", run.Stdout);
    }

    [Fact]
    public void TlsCaAndTlsInsecureDoNotGoTogether()
    {
        using var files = new TlsFiles();

        ToolRun run = CliProcess.Run("send", "tls://127.0.0.1:9", "--tls-ca", files.Certificate, "--tls-insecure", "hello");

        Assert.Equal(ExitCodes.Address, run.ExitCode);
        Assert.Equal("socketserver: --tls-ca and --tls-insecure do not go together: the first checks the certificate against the CA, the second not at all.\n", run.Stderr);
    }

    [Theory]
    [InlineData("socketserver: send needs <address>: tcp://HOST:PORT|udp://HOST:PORT|unix:PATH|unix-dgram:PATH", "send")]
    [InlineData("socketserver: unknown option '--nonsense' (a line that starts with '-' goes after '--')", "send", "tcp://127.0.0.1:9", "--nonsense")]
    public void AUsageErrorIsOneLineThenAPointerToTheHelp(string line, params string[] arguments)
    {
        ToolRun run = CliProcess.Run(arguments);

        Assert.Equal($"{line}\nRun 'socketserver send --help' for usage.\n", run.Stderr.ReplaceLineEndings("\n"));
        Assert.Equal("", run.Stdout);
        Assert.Equal(ExitCodes.Usage, run.ExitCode);
    }

    // No diagnostics: the runtime would put its IPC socket in TMPDIR too.
    private static Dictionary<string, string> TempFor(TempDirectory directory) => new() { ["TMPDIR"] = directory.Path, ["DOTNET_EnableDiagnostics"] = "0" };
}
