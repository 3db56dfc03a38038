using System.Net;
using System.Net.Sockets;
using System.Text;
using SocketServer.Cli.Tests.Infrastructure;

namespace SocketServer.Cli.Tests;

/// <summary>
/// <c>serve --systemd</c> under Debian's <c>systemd-socket-activate</c>, which binds as a socket unit would, waits for
/// the first client, then execs the CLI with LISTEN_FDS, LISTEN_PID and LISTEN_FDNAMES: TCP, UDP, Unix stream and
/// datagram sockets, named ones, and the environments that must be refused.
/// </summary>
public sealed class SystemdActivationTests
{
    [Fact]
    public void ServesAPassedTcpSocket()
    {
        using var activated = Activated.Start(port => ["-l", $"127.0.0.1:{port}"], "--mode", "threading");
        var endPoint = new IPEndPoint(IPAddress.Loopback, activated.Port);

        // The first connection makes systemd-socket-activate exec the CLI; it waits in the backlog until then.
        Assert.Equal("hello\n"u8.ToArray(), Clients.StreamRoundTrip(endPoint, "hello\n"u8.ToArray()));

        Assert.Equal($"tcp://127.0.0.1:{activated.Port}", Assert.Single(activated.Cli.WaitUntilListening()).Uri);
        Assert.Equal("again\n"u8.ToArray(), Clients.StreamRoundTrip(endPoint, "again\n"u8.ToArray()));
        Assert.Equal(0, activated.Stop());
    }

    [Fact]
    public void ServesAPassedUdpSocket()
    {
        using var directory = new TempDirectory();
        using var activated = Activated.Start(port => ["--datagram", "-l", $"127.0.0.1:{port}"]);
        var endPoint = new IPEndPoint(IPAddress.Loopback, activated.Port);

        Assert.Equal("first"u8.ToArray(), Clients.DatagramRoundTrip(endPoint, "first"u8.ToArray(), directory));

        Assert.Equal("udp", Assert.Single(activated.Cli.WaitUntilListening()).Scheme);
        Assert.Equal("second"u8.ToArray(), Clients.DatagramRoundTrip(endPoint, "second"u8.ToArray(), directory));
        Assert.Equal(0, activated.Stop());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ServesAPassedUnixSocketAndLeavesItsFile(bool datagram)
    {
        using var directory = new TempDirectory();
        string path = directory.NewPath("activated.sock");
        using var activated = Activated.Start(_ => datagram ? ["--datagram", "-l", path] : ["-l", path]);
        var endPoint = new UnixDomainSocketEndPoint(path);
        byte[] message = "over a unix socket\n"u8.ToArray();

        Assert.Equal(message, datagram ? Clients.DatagramRoundTrip(endPoint, message, directory) : Clients.StreamRoundTrip(endPoint, message));

        ReadyAddress ready = Assert.Single(activated.Cli.WaitUntilListening());
        Assert.Equal((datagram ? "unix-dgram" : "unix", path), (ready.Scheme, ready.Path));
        Assert.Equal(0, activated.Stop());
        // The file is systemd's (it made it): the server does not remove it.
        Assert.True(File.Exists(path));
    }

    [Fact]
    public void ASocketNamedAgentCheckAnswersTheAgentCheck()
    {
        int agentPort = FreePort();
        using var activated = Activated.Start(port => ["-l", $"127.0.0.1:{port}", "-l", $"127.0.0.1:{agentPort}", "--fdname=main:agent-check"]);
        var endPoint = new IPEndPoint(IPAddress.Loopback, activated.Port);

        Assert.Equal("named\n"u8.ToArray(), Clients.StreamRoundTrip(endPoint, "named\n"u8.ToArray()));
        activated.Cli.WaitUntilListening();
        activated.Cli.Process.WaitForStdout(static o => o.Contains("agent-check on ", StringComparison.Ordinal));

        Assert.Equal("up ready\n", AgentCheckTests.Ask(new IPEndPoint(IPAddress.Loopback, agentPort)));
        Assert.Contains($"agent-check on tcp://127.0.0.1:{agentPort}\n", activated.Cli.Process.Stdout, StringComparison.Ordinal);
        Assert.Equal(0, activated.Stop());
    }

    [Fact]
    public void ListenPidOfAnotherProcessIsRefusedInOneLine()
    {
        ToolRun run = CliProcess.RunWith(null, new Dictionary<string, string> { ["LISTEN_PID"] = "1", ["LISTEN_FDS"] = "1" }, "serve", "echo", "--systemd");

        Assert.Equal(ExitCodes.Address, run.ExitCode);
        Assert.Equal("", run.Stdout);
        Assert.Matches(@"^socketserver: --systemd: LISTEN_PID is 1, not this process \(\d+\): the sockets were passed to another process \(a wrapper that forks instead of exec'ing\?\)\.\n$", run.Stderr);
    }

    [Fact]
    public void NoPassedSocketsIsRefusedInOneLine()
    {
        ToolRun run = CliProcess.Run("serve", "echo", "--systemd");

        Assert.Equal(ExitCodes.Address, run.ExitCode);
        Assert.Equal("", run.Stdout);
        Assert.Equal("socketserver: --systemd: no sockets were passed: LISTEN_PID and LISTEN_FDS are not set (start the program from a systemd socket unit, or under systemd-socket-activate).\n", run.Stderr);
    }

    [Fact]
    public void ADescriptorThatIsNotASocketIsRefusedInOneLine()
    {
        string python = Tools.Require("python3");
        // Python stands in for the service manager: a plain file as descriptor 3, the variables for its own pid, then
        // exec (which keeps the pid), as the protocol requires.
        const string Launcher = "import os,sys\nfd=os.open('/dev/null',os.O_RDONLY)\nos.dup2(fd,3)\nos.set_inheritable(3,True)\n"
            + "os.environ['LISTEN_PID']=str(os.getpid())\nos.environ['LISTEN_FDS']='1'\nos.environ['LISTEN_FDNAMES']='main'\nos.execv(sys.argv[1],sys.argv[1:])\n";
        ToolRun run = ToolRun.Run(python, ["-c", Launcher, ResolveDotnet(), CliProcess.DllPath, "serve", "echo", "--systemd"]);

        Assert.Equal(ExitCodes.Address, run.ExitCode);
        Assert.Equal("", run.Stdout);
        Assert.Equal("socketserver: --systemd: descriptor 3 ('main') is not a socket: Socket operation on non-socket.\n", run.Stderr);
    }

    [Fact]
    public void ForkingModeIsAUsageError()
    {
        ToolRun run = CliProcess.Run("serve", "echo", "--systemd", "--mode", "forking");

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.StartsWith("socketserver: --systemd cannot be combined with --mode forking (use sync, threading or async)\n", run.Stderr, StringComparison.Ordinal);
    }

    internal static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    private static string ResolveDotnet()
    {
        string host = CliProcess.DotnetHost;
        return Path.IsPathRooted(host) ? host : ToolRun.Run("which", [host]).Stdout.Trim();
    }

    /// <summary><c>systemd-socket-activate</c> running the CLI with <c>serve echo --systemd</c>, listening and waiting for its first client.</summary>
    private sealed class Activated : IDisposable
    {
        private Activated(CliProcess cli, int port)
        {
            Cli = cli;
            Port = port;
        }

        public CliProcess Cli { get; }

        public int Port { get; }

        /// <summary>Starts it on a free port (tried again if another process took the port in between; bounded).</summary>
        public static Activated Start(Func<int, string[]> listen, params string[] extra)
        {
            string activate = Tools.Require("systemd-socket-activate");
            for (int attempt = 0; ; attempt++)
            {
                int port = FreePort();
                string[] listenArguments = listen(port);
                int sockets = listenArguments.Count(static a => a == "-l");
                var cli = CliProcess.StartTool(activate, [.. listenArguments, CliProcess.DotnetHost, CliProcess.DllPath, "serve", "echo", "--systemd", .. extra]);
                string stderr = cli.Process.WaitForStderr(e => e.Split('\n').Count(static l => l.StartsWith("Listening on ", StringComparison.Ordinal)) == sockets || e.Contains("Failed", StringComparison.Ordinal));
                if (!stderr.Contains("Failed", StringComparison.Ordinal))
                {
                    return new Activated(cli, port);
                }

                cli.Dispose();
                Assert.True(attempt < 5, $"systemd-socket-activate could not listen: {stderr}");
            }
        }

        public int Stop() => Cli.Stop();

        public void Dispose() => Cli.Dispose();
    }
}
