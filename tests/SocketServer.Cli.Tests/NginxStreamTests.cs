using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using SocketServer.Cli.Tests.Infrastructure;

namespace SocketServer.Cli.Tests;

/// <summary>
/// docs/deploy.md's nginx stream block, run as written: three <c>serve echo --proxy-protocol</c> instances behind
/// Debian's nginx with <c>proxy_protocol on</c> (v1), under <c>socketserver bench</c>, then with one instance killed.
/// </summary>
public sealed partial class NginxStreamTests
{
    private const string StreamModule = "/usr/lib/nginx/modules/ngx_stream_module.so";

    [Fact]
    public void ThreeInstancesBehindNginxStreamAndOneKilled()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Skip("nginx and the signals are run on Linux");
        }

        string nginxPath = Tools.Require("nginx");
        Assert.SkipWhen(!File.Exists(StreamModule), $"nginx's stream module is not installed ({StreamModule}: Debian's libnginx-mod-stream)");
        string deploy = File.ReadAllText(Path.Combine(HaproxyIntegrationTests.RepositoryRoot(), "docs", "deploy.md"));
        string streamBlock = Assert.Single(NginxBlock().Matches(deploy)).Groups["config"].Value;

        using var directory = new TempDirectory();
        var instances = new List<CliProcess>();
        ChildProcess? nginx = null;
        try
        {
            for (int i = 0; i < 3; i++)
            {
                instances.Add(CliProcess.Start("serve", "echo", "--mode", "threading", "--tcp", "127.0.0.1:0", "--proxy-protocol", "--log-level", "debug"));
            }

            string config = streamBlock;
            for (int i = 0; i < 3; i++)
            {
                var address = (IPEndPoint)Assert.Single(instances[i].WaitUntilListening()).EndPoint;
                config = HaproxyIntegrationTests.ReplaceOnce(config, $"127.0.0.1:7{i + 1}01 ", $"{address} ");
            }

            int frontendPort = HaproxyIntegrationTests.FreePort();
            config = HaproxyIntegrationTests.ReplaceOnce(config, "127.0.0.1:7000", $"127.0.0.1:{frontendPort}");
            // What Debian's /etc/nginx/nginx.conf gives around it: the module, and a pid and error log of the test's own.
            string configPath = Path.Combine(directory.Path, "nginx.conf");
            File.WriteAllText(
                configPath,
                $"load_module {StreamModule};\nerror_log {directory.Path}/error.log;\npid {directory.Path}/nginx.pid;\nworker_processes 1;\nevents {{}}\n{config}");
            ToolRun check = ToolRun.Run(nginxPath, ["-t", "-p", directory.Path, "-c", configPath]);
            Assert.True(check.ExitCode == 0, $"nginx -t: {check.Stdout}{check.Stderr}");
            nginx = ChildProcess.Start(nginxPath, ["-p", directory.Path, "-c", configPath, "-g", "daemon off;"]);
            var frontend = new IPEndPoint(IPAddress.Loopback, frontendPort);
            WaitUntilAccepting(frontend);

            IPEndPoint own = HaproxyIntegrationTests.EchoThrough(frontend, "own client\n");
            AssertBench(frontendPort, 3000);

            // One instance dies: a connect to it is refused, and nginx tries the next upstream.
            instances[2].Process.Signal(Signals.SIGKILL);
            instances[2].Process.WaitForExit();
            AssertBench(frontendPort, 1000);
            ToolRun send = CliProcess.Run("send", $"tcp://127.0.0.1:{frontendPort}", "after the kill");
            Assert.True(send.ExitCode == 0, $"send: {send.ExitCode} {send.Stdout}{send.Stderr}");
            Assert.Equal("after the kill\n", send.Stdout);

            string logs = string.Concat(instances.Select(static i => i.Process.Stderr));
            Assert.Contains($" is the client {own} (PROXY protocol v1).", logs, StringComparison.Ordinal);
            Assert.True(Regex.Count(logs, @"is the client 127\.0\.0\.1:\d+ \(PROXY protocol v1\)\.") >= 4000, "fewer proxied connections logged than bench made");
            Assert.DoesNotContain("before serving it", logs, StringComparison.Ordinal);
        }
        finally
        {
            // SIGTERM to the master, which stops its worker (a SIGKILL would leave the worker running), then waits.
            try
            {
                nginx?.Terminate();
            }
            finally
            {
                nginx?.Dispose();
            }

            foreach (CliProcess instance in instances)
            {
                instance.Dispose();
            }
        }
    }

    private static void AssertBench(int frontendPort, int connections)
    {
        using CliProcess bench = CliProcess.Start(
            "bench", "connrate", "--target", $"tcp://127.0.0.1:{frontendPort}", "-c", "8", "--warmup", "0", "-d", "25", "-n", $"{connections}", "--json");
        int exit = bench.Process.WaitForExit();
        Assert.True(exit == 0, $"bench exited {exit}: {bench.Process.Stdout}{bench.Process.Stderr}");
        using JsonDocument report = JsonDocument.Parse(bench.Process.Stdout);
        Assert.Equal(connections, report.RootElement.GetProperty("messages").GetInt64());
        Assert.Equal(0, report.RootElement.GetProperty("errors").GetProperty("total").GetInt64());
    }

    // nginx binds its port as it starts; until then a connect is refused. The bound is for a stuck nginx.
    private static void WaitUntilAccepting(IPEndPoint frontend)
    {
        var elapsed = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                probe.Connect(frontend);
                return;
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused && elapsed.Elapsed < TestTimeouts.Long)
            {
                Thread.Sleep(20); // the poll's pace: the loop ends on a connect that succeeds
            }
        }
    }

    [GeneratedRegex(@"^```nginx\n(?<config>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex NginxBlock();
}
