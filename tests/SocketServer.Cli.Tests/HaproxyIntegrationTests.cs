using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using SocketServer.Cli.Tests.Infrastructure;

namespace SocketServer.Cli.Tests;

/// <summary>
/// docs/deploy.md's HAProxy section, run as written: three <c>serve echo</c> instances behind Debian's HAProxy with
/// <c>send-proxy-v2</c>, health checks and <c>agent-check</c>, under load from <c>socketserver bench</c>; one instance
/// drained with SIGTERM, another killed with SIGKILL.
/// </summary>
public sealed partial class HaproxyIntegrationTests
{
    // bench connrate's workers: at most this many connections are open through HAProxy at once.
    private const int Workers = 8;

    // The addresses in the doc's configuration and commands, replaced by free ones here.
    private const string DocFrontend = "127.0.0.1:7000";
    private const string DocAdminSocket = "/run/haproxy/echo-admin.sock";

    [Fact]
    public void ThreeInstancesBehindHaproxyOneDrainedOneKilledUnderLoad()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Skip("HAProxy and the signals are run on Linux");
        }

        string haproxyPath = Tools.Require("haproxy");
        string deploy = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "deploy.md"));
        string configTemplate = Assert.Single(HaproxyBlock().Matches(deploy)).Groups["config"].Value;
        List<string[]> commands = [.. InstanceCommand().Matches(deploy).Select(static m => m.Value.Split(' ')[1..])];
        Assert.Equal(3, commands.Count);

        using var directory = new TempDirectory();
        var instances = new List<CliProcess>();
        ChildProcess? haproxy = null;
        CliProcess? bench = null;
        try
        {
            // The doc's commands, each with port 0 in place of its two ports (read back from the ready lines).
            var listen = new List<IPEndPoint>();
            var agents = new List<IPEndPoint>();
            string config = configTemplate;
            for (int i = 0; i < 3; i++)
            {
                string server = $"127.0.0.1:7{i + 1}01";
                string agent = $"127.0.0.1:7{i + 1}02";
                string[] arguments = [.. commands[i].Select(a => a == server || a == agent ? "127.0.0.1:0" : a)];
                Assert.Equal(2, commands[i].Count(a => a == server || a == agent));
                CliProcess instance = CliProcess.Start(arguments);
                instances.Add(instance);
            }

            for (int i = 0; i < 3; i++)
            {
                listen.Add((IPEndPoint)Assert.Single(instances[i].WaitUntilListening()).EndPoint);
                agents.Add(AgentCheckTests.WaitForAgent(instances[i]));
                config = ReplaceOnce(config, $"127.0.0.1:7{i + 1}01 agent-port 7{i + 1}02", $"{listen[i]} agent-port {agents[i].Port}");
            }

            int frontendPort = FreePort();
            string adminPath = Path.Combine(directory.Path, "admin.sock");
            config = ReplaceOnce(config, DocFrontend, $"127.0.0.1:{frontendPort}");
            config = ReplaceOnce(config, DocAdminSocket, adminPath);
            string configPath = Path.Combine(directory.Path, "haproxy.cfg");
            File.WriteAllText(configPath, config);

            ToolRun check = ToolRun.Run(haproxyPath, ["-c", "-f", configPath]);
            Assert.True(check.ExitCode == 0, $"haproxy -c: {check.Stdout}{check.Stderr}");
            haproxy = ChildProcess.Start(haproxyPath, ["-f", configPath, "-db"]);
            var admin = new HaproxyAdmin(adminPath);
            admin.WaitUntilAnswering(haproxy);
            // The first connections get no answer until a check has passed: wait for every server to be UP.
            admin.WaitForStat(static s => Servers.All(n => s[n]["status"] == "UP"), "s1, s2 and s3 UP");

            var frontend = new IPEndPoint(IPAddress.Loopback, frontendPort);
            bench = CliProcess.Start(
                "bench", "connrate", "--target", $"tcp://127.0.0.1:{frontendPort}", "-c", $"{Workers}", "--warmup", "0", "-d", "30", "--json");
            // Load reaches every instance.
            admin.WaitForStat(static s => Servers.All(n => HaproxyAdmin.Count(s, n, "stot") >= 20), "20 connections given to each server");

            // The test's own clients, from 127.0.0.2 (bench and HAProxy connect from 127.0.0.1), whose source addresses
            // the instances must log as the client's: unmistakable even when bench's thousands of ports come round again.
            List<IPEndPoint> ownClients = [.. Enumerable.Range(0, 3).Select(i => EchoThrough(frontend, $"own client {i}\n"))];

            // Drain s2: its agent says drain at once; HAProxy takes it out at its next agent check; s2 goes on
            // accepting for --drain-delay (longer than agent-inter), then drains and exits.
            instances[1].Process.Signal(Signals.SIGTERM);
            Dictionary<string, Dictionary<string, string>> draining =
                admin.WaitForStat(static s => s["s2"]["status"].StartsWith("DRAIN", StringComparison.Ordinal), "s2 in DRAIN");
            long givenToS2 = HaproxyAdmin.Count(draining, "s2", "stot");
            Assert.Equal(0, instances[1].Process.WaitForExit());
            string drained = instances[1].Process.Stdout;
            Match drainedLine = DrainedLine().Match(drained);
            Assert.True(drainedLine.Success, $"s2 printed no drained line: '{drained}'");
            Assert.Equal("0", drainedLine.Groups["aborted"].Value);

            // Kill s3 while the load goes on; HAProxy's checks find it DOWN; s1 goes on being given connections.
            long givenToS1 = HaproxyAdmin.Count(admin.ShowStat(), "s1", "stot");
            instances[2].Process.Signal(Signals.SIGKILL);
            admin.WaitForStat(static s => s["s3"]["status"] == "DOWN", "s3 DOWN");
            Dictionary<string, Dictionary<string, string>> afterKill =
                admin.WaitForStat(s => HaproxyAdmin.Count(s, "s1", "stot") >= givenToS1 + 200, "200 more connections given to s1 after the kill");
            Assert.Equal(givenToS2, HaproxyAdmin.Count(afterKill, "s2", "stot"));

            // New connections keep succeeding: the CLI's own client, through the frontend.
            ToolRun send = CliProcess.Run("send", $"tcp://127.0.0.1:{frontendPort}", "after the kill");
            Assert.True(send.ExitCode == 0, $"send: {send.ExitCode} {send.Stdout}{send.Stderr}");
            Assert.Equal("after the kill\n", send.Stdout);

            // Stop the load: bench prints its report on SIGINT; it ran within its own bound.
            bench.Process.Signal(Signals.SIGINT);
            int benchExit = bench.Process.WaitForExit();
            using JsonDocument report = JsonDocument.Parse(bench.Process.Stdout);
            JsonElement errors = report.RootElement.GetProperty("errors");
            long messages = report.RootElement.GetProperty("messages").GetInt64();
            long errorCount = errors.GetProperty("total").GetInt64();
            Dictionary<string, Dictionary<string, string>> final = admin.ShowStat();
            // What HAProxy counts against the killed instance: connections it had sent there that failed after the
            // connect (eresp) or that the client gave up (cli_abrt), connects that failed (econ).
            long killedInFlight = HaproxyAdmin.Count(final, "s3", "eresp") + HaproxyAdmin.Count(final, "s3", "cli_abrt") + HaproxyAdmin.Count(final, "s3", "econ");
            long failedConnects = HaproxyAdmin.Count(final, "BACKEND", "econ");
            TestContext.Current.TestOutputHelper?.WriteLine(
                $"bench: {messages} connections, {errorCount} errors ({errors}); HAProxy: given s1 {HaproxyAdmin.Count(final, "s1", "stot")}, "
                + $"s2 {HaproxyAdmin.Count(final, "s2", "stot")}, s3 {HaproxyAdmin.Count(final, "s3", "stot")}, lost on s3 {killedInFlight}, "
                + $"redispatched {HaproxyAdmin.Count(final, "BACKEND", "wredis")}, backend econ {failedConnects}; s2: {drained.Trim().Split('\n')[^1]}");
            foreach (string row in new[] { "s1", "s2", "s3", "BACKEND", "FRONTEND" })
            {
                TestContext.Current.TestOutputHelper?.WriteLine(
                    row + ": " + string.Join(", ", StatColumns.Select(c => $"{c}={final[row].GetValueOrDefault(c)}")));
            }


            Assert.True(benchExit is 0 or ExitCodes.LoadErrors, $"bench exited {benchExit}: {bench.Process.Stdout}{bench.Process.Stderr}");
            Assert.True(messages > 0);
            // Every error is a connection that was on the killed instance when it died, ended by a reset: nothing
            // mismatched, timed out or failed to connect, and s1 and s2 lost nothing.
            Assert.Equal(errorCount, errors.GetProperty("reset").GetInt64());
            Assert.True(errorCount <= killedInFlight + failedConnects, $"{errorCount} errors, but HAProxy saw {killedInFlight} connections lost on s3 and {failedConnects} failed connects");
            foreach (string server in new[] { "s1", "s2" })
            {
                Assert.Equal(0, HaproxyAdmin.Count(final, server, "eresp"));
                Assert.Equal(0, HaproxyAdmin.Count(final, server, "econ"));
                Assert.Equal(0, HaproxyAdmin.Count(final, server, "srv_abrt"));
            }

            Assert.Equal(0, instances[0].Stop());
            Assert.Matches(DrainedLine(), instances[0].Process.Stdout);

            // The client addresses the instances logged: the real clients', never HAProxy's side.
            var logged = new List<(IPEndPoint Proxy, IPEndPoint Client)>();
            foreach (CliProcess instance in instances)
            {
                string stderr = instance.Process.Stderr;
                // A killed process may have been cut in the middle of a line: only whole lines count.
                foreach (string line in stderr[..(stderr.LastIndexOf('\n') + 1)].Split('\n', StringSplitOptions.RemoveEmptyEntries))
                {
                    Match proxied = ProxiedLine().Match(line);
                    if (proxied.Success)
                    {
                        if (proxied.Groups["local"].Success)
                        {
                            Assert.Equal(proxied.Groups["proxy"].Value, proxied.Groups["client"].Value);
                        }
                        else
                        {
                            logged.Add((IPEndPoint.Parse(proxied.Groups["proxy"].Value), IPEndPoint.Parse(proxied.Groups["client"].Value)));
                        }

                        continue;
                    }

                    // Nothing failed: only the Debug lines of serving, resets and probes, and a probe refused once a
                    // drain began (HAProxy goes on checking a server it has put in DRAIN; after --drain-delay the
                    // instance closes what it accepts with no data yet, and logs it). A refused connection of bench's
                    // would be one of its errors, which the assertions above account for.
                    Assert.Matches(AllowedLine(), line);
                }
            }

            foreach (IPEndPoint own in ownClients)
            {
                Assert.Single(logged, l => l.Client.Equals(own));
            }

            Assert.All(logged.Where(l => !ownClients.Contains(l.Client)), static l => Assert.Equal(IPAddress.Loopback, l.Client.Address));
            // bench's connections, besides the test's three and send's: each counted one was logged; a logged one may
            // have been cut by the kill or the stop (at most one per worker then).
            long benchLogged = logged.Count - ownClients.Count - 1;
            Assert.InRange(benchLogged, messages, messages + errorCount + Workers);
        }
        finally
        {
            bench?.Dispose();
            haproxy?.Dispose();
            foreach (CliProcess instance in instances)
            {
                instance.Dispose();
            }
        }
    }

    private static readonly string[] Servers = ["s1", "s2", "s3"];

    // The show stat columns the test reports: connections given, failed connects and responses, retries and redispatches, aborts.
    private static readonly string[] StatColumns = ["stot", "econ", "eresp", "ereq", "wretr", "wredis", "cli_abrt", "srv_abrt", "status"];

    private static readonly IPAddress OwnClientAddress = IPAddress.Parse("127.0.0.2");

    internal static string ReplaceOnce(string text, string doc, string actual)
    {
        int count = Regex.Count(text, Regex.Escape(doc));
        Assert.True(count == 1, $"docs/deploy.md's configuration should name {doc} once, not {count} times");
        return text.Replace(doc, actual, StringComparison.Ordinal);
    }

    internal static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    internal static IPEndPoint EchoThrough(IPEndPoint frontend, string line)
    {
        byte[] message = Encoding.ASCII.GetBytes(line);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.ReceiveTimeout = (int)TestTimeouts.Long.TotalMilliseconds;
        socket.Bind(new IPEndPoint(OwnClientAddress, 0));
        socket.Connect(frontend);
        var local = (IPEndPoint)socket.LocalEndPoint!;
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
        return local;
    }

    internal static string RepositoryRoot()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "SocketServer.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"SocketServer.slnx not found above {AppContext.BaseDirectory}.");
    }

    [GeneratedRegex(@"^```haproxy\n(?<config>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex HaproxyBlock();

    [GeneratedRegex(@"^socketserver serve echo .*--proxy-protocol.*$", RegexOptions.Multiline)]
    private static partial Regex InstanceCommand();

    [GeneratedRegex(@"^drained: \d+ completed, \d+ closed idle, (?<aborted>\d+) aborted$", RegexOptions.Multiline)]
    private static partial Regex DrainedLine();

    [GeneratedRegex(@"^socketserver: tcp://127\.0\.0\.1:\d+: the connection from (?<proxy>127\.0\.0\.1:\d+) is the client (?<client>[^ ]+) \(PROXY protocol v2(?<local>, no client[^)]*)?\)\.$")]
    private static partial Regex ProxiedLine();

    [GeneratedRegex(@"^socketserver: tcp://127\.0\.0\.1:\d+: (serving \(ServeForever\)|serving stopped|the connection from 127\.0\.0\.1:\d+ was reset: .*|127\.0\.0\.1:\d+ closed the connection without sending a PROXY protocol header|closed a new connection from 127\.0\.0\.1:\d+ without data: the server is draining\.(?: \(\d+ more like it since the last report\))?)\.?$")]
    private static partial Regex AllowedLine();
}
