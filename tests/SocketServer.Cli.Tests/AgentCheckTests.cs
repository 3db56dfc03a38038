using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using SocketServer.Cli.Tests.Infrastructure;

namespace SocketServer.Cli.Tests;

/// <summary><c>serve --agent-check</c>: HAProxy's agent protocol answered from the servers' health state.</summary>
public sealed partial class AgentCheckTests
{
    [Fact]
    public void AnswersUpReadyWhileServing()
    {
        using CliProcess cli = CliProcess.Start("serve", "echo", "--tcp", "127.0.0.1:0", "--agent-check", "127.0.0.1:0");
        cli.WaitUntilListening();
        IPEndPoint agent = WaitForAgent(cli);

        Assert.Equal("up ready\n", Ask(agent));
        Assert.Equal("up ready\n", Ask(agent));
        Assert.Equal(0, cli.Stop());
        Assert.Equal("", cli.Process.Stderr);
    }

    [Fact]
    public void AnswersDrainFromTheSignalWhileExistingAndNewConnectionsAreStillServed()
    {
        using CliProcess cli = CliProcess.Start(
            "serve", "echo", "--tcp", "127.0.0.1:0", "--mode", "threading", "--agent-check", "127.0.0.1:0", "--drain-delay", "600");
        ReadyAddress address = Assert.Single(cli.WaitUntilListening());
        IPEndPoint agent = WaitForAgent(cli);
        using Socket held = Clients.Connect(address.EndPoint);
        Echo(held, "before\n");

        cli.Process.Signal(Signals.SIGTERM);

        // The state changes before anything else the signal does; poll the agent (bounded) until it says so.
        Assert.Equal("drain\n", AskUntil(agent, "drain\n"));
        // During --drain-delay the load balancer is told, but nobody is turned away yet.
        Echo(held, "during the delay\n");
        Assert.Equal("new\n"u8.ToArray(), Clients.StreamRoundTrip(address.EndPoint, "new\n"u8.ToArray()));

        // A second signal ends the delay; the drain closes the idle connection and the process exits.
        cli.Process.Signal(Signals.SIGTERM);
        Assert.Equal(0, held.Receive(new byte[16]));
        Assert.Equal(0, cli.Process.WaitForExit());
    }

    [Fact]
    public void Sigusr1AnswersMaintAndSigusr2PutsItBack()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Skip("the signal numbers sent here are Linux's");
        }

        using CliProcess cli = CliProcess.Start("serve", "echo", "--tcp", "127.0.0.1:0", "--agent-check", "127.0.0.1:0");
        ReadyAddress address = Assert.Single(cli.WaitUntilListening());
        IPEndPoint agent = WaitForAgent(cli);

        cli.Process.Signal(10);
        cli.Process.WaitForStderr(static e => e.Contains("SIGUSR1", StringComparison.Ordinal));
        Assert.Equal("maint\n", Ask(agent));
        // Maintenance is for the load balancer: the server itself keeps serving whoever comes.
        Assert.Equal("still\n"u8.ToArray(), Clients.StreamRoundTrip(address.EndPoint, "still\n"u8.ToArray()));

        cli.Process.Signal(12);
        cli.Process.WaitForStderr(static e => e.Contains("SIGUSR2", StringComparison.Ordinal));
        Assert.Equal("up ready\n", Ask(agent));
        Assert.Equal(0, cli.Stop());
        Assert.Equal(
            "socketserver: SIGUSR1: health state maint (the agent check answers 'maint').\nsocketserver: SIGUSR2: health state up (the agent check answers 'up').\n",
            cli.Process.Stderr);
    }

    [Fact]
    public void AnAgentAddressInUseFailsBeforeAnyReadyLine()
    {
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        taken.Listen();
        int port = ((IPEndPoint)taken.LocalEndPoint!).Port;

        ToolRun run = CliProcess.Run("serve", "echo", "--tcp", "127.0.0.1:0", "--agent-check", $"127.0.0.1:{port}");

        Assert.Equal(ExitCodes.Address, run.ExitCode);
        Assert.Equal("", run.Stdout);
        Assert.Equal($"socketserver: Cannot bind tcp://127.0.0.1:{port}: the address is already in use (another server listens on it).\n", run.Stderr);
    }

    /// <summary>Connects to an agent and reads its whole answer, as HAProxy does.</summary>
    internal static string Ask(EndPoint agent)
    {
        using Socket socket = Clients.Connect(agent);
        var received = new List<byte>();
        byte[] buffer = new byte[64];
        int n;
        while ((n = socket.Receive(buffer)) > 0)
        {
            received.AddRange(buffer.AsSpan(0, n));
        }

        return Encoding.ASCII.GetString([.. received]);
    }

    internal static IPEndPoint WaitForAgent(CliProcess cli)
    {
        string stdout = cli.Process.WaitForStdout(static o => AgentLine().IsMatch(o));
        Match line = AgentLine().Match(stdout);
        Assert.True(line.Success, $"no agent-check line: '{stdout}'");
        return new IPEndPoint(IPAddress.Loopback, int.Parse(line.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    // The signal is handled on another thread and nothing outside shows when: ask again until the answer changes,
    // within the tests' long bound (a bound on a stuck process, not a timing threshold).
    private static string AskUntil(EndPoint agent, string expected)
    {
        var elapsed = System.Diagnostics.Stopwatch.StartNew();
        string answer = Ask(agent);
        while (answer != expected && elapsed.Elapsed < TestTimeouts.Long)
        {
            answer = Ask(agent);
        }

        return answer;
    }

    private static void Echo(Socket socket, string line)
    {
        byte[] message = Encoding.ASCII.GetBytes(line);
        socket.Send(message);
        byte[] reply = new byte[message.Length];
        int got = 0;
        while (got < reply.Length)
        {
            int n = socket.Receive(reply, got, reply.Length - got, SocketFlags.None);
            Assert.True(n > 0, "closed before the echo");
            got += n;
        }

        Assert.Equal(line, Encoding.ASCII.GetString(reply));
    }

    [GeneratedRegex(@"^agent-check on tcp://127\.0\.0\.1:(?<port>\d+)\n", RegexOptions.Multiline)]
    private static partial Regex AgentLine();
}
