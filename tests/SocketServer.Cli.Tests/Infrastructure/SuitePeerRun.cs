namespace SocketServer.Cli.Tests.Infrastructure;

/// <summary>
/// One smoke run of the benchmark suite's newer servers (the C io_uring, Go and Node.js peers, Python's rfile/wfile
/// handler, our raw handler and io_uring transport) beside the C epoll reference, with the C load generator, on the
/// ping-pong and UDP cases: shared by the tests of <see cref="BenchmarkSuitePeerSmokeTests"/>, one per server.
/// </summary>
public sealed class SuitePeerRun : IAsyncLifetime
{
    /// <summary>The servers of the run.</summary>
    public static readonly string[] Servers =
        ["c-epoll", "c-uring", "go-net", "node-net", "python-threading-rfile", "ss-threading-raw", "ss-async-uring"];

    /// <summary>A bound on the run (about 20 s here, with the Go build), so that a hang fails instead of blocking CI.</summary>
    private static readonly TimeSpan s_runBound = TimeSpan.FromMinutes(4);

    private SuiteRun? _run;

    /// <summary>Why the run could not be made (python3 or gcc missing), or null.</summary>
    public string? Missing { get; private set; }

    /// <summary>The run; only when <see cref="Missing"/> is null.</summary>
    internal SuiteRun Run => _run ?? throw new InvalidOperationException("The suite did not run: " + Missing);

    public async ValueTask InitializeAsync()
    {
        foreach (string tool in (string[])["python3", "gcc"])
        {
            if (ToolRun.Run("which", [tool]).ExitCode != 0)
            {
                Missing = $"{tool} not installed";
                return;
            }
        }

        _run = await SuiteRun.RunAsync("python3", s_runBound, "--servers", string.Join(',', Servers), "--cases", "pingpong-64,udp");
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
