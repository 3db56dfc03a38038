using System.Text.Json;
using SocketServer.Cli.Tests.Infrastructure;

namespace SocketServer.Cli.Tests;

/// <summary>
/// The benchmark suite (<c>benchmarks/run</c>) must not rot: a smoke run (200 messages a run) of every case against the core
/// servers, loaded by the C load generator (the default), ends cleanly, every server that starts has a row for every
/// case it serves, and no run counted an error; and <c>socketserver bench</c> still drives the suite when asked for.
/// Nothing is asserted about speed. The newer peers have their own smoke run (<see cref="BenchmarkSuitePeerSmokeTests"/>).
/// </summary>
// One suite run at a time: each pins its servers to CPU 0 and its generator to CPU 1.
[Collection("benchmark suite")]
public sealed class BenchmarkSuiteSmokeTests
{
    /// <summary>The core servers; a server added later to the group is checked once it starts.</summary>
    private static readonly string[] s_serversThatMustStart =
        ["c-epoll", "kestrel", "dotnet-socket", "python-asyncio", "python-threading", "ss-threading", "ss-async", "ss-sync"];

    /// <summary>A bound on the whole run (which takes about a minute here), so that a hang fails instead of blocking CI.</summary>
    private static readonly TimeSpan s_runBound = TimeSpan.FromMinutes(6);

    [Fact]
    public async Task SmokeRunCoversEveryCoreServerAndCaseWithoutErrors()
    {
        string python = Tools.Require("python3");
        Tools.Require("gcc");

        SuiteRun run = await SuiteRun.RunAsync(python, s_runBound, "--servers", "core");

        Assert.True(run.ExitCode == 0, $"benchmarks/run exited with {run.ExitCode}:\n{run.Stderr}");
        Assert.Equal("c", run.Summary.GetProperty("generator").GetString());
        foreach (string name in s_serversThatMustStart)
        {
            Assert.True(run.IsAvailable(name, out string reason), $"{name} did not start: {reason}");
        }

        int checkedRuns = 0;
        foreach (JsonProperty server in run.Summary.GetProperty("servers").EnumerateObject())
        {
            if (!run.IsAvailable(server.Name, out _))
            {
                continue;
            }

            foreach (string caseName in run.CasesOf(server.Name))
            {
                run.AssertCleanRun(caseName, server.Name);
                // The C generator's report, not bench's: the runner really used the one it says.
                Assert.Equal("c", Assert.Single(run.Runs, r => r.GetProperty("case").GetString() == caseName && r.GetProperty("server").GetString() == server.Name)
                    .GetProperty("row").GetProperty("bench").GetProperty("generator").GetString());
                checkedRuns++;
            }
        }

        Assert.Equal(run.Runs.Count, checkedRuns);
        Assert.Contains("<!-- BEGIN generated: suite -->", run.Markdown, StringComparison.Ordinal);
        Assert.Contains("<!-- END generated: suite -->", run.Markdown, StringComparison.Ordinal);
        Assert.Contains("loadgen.c", run.Markdown, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BenchStillDrivesTheSuiteWhenAskedFor()
    {
        string python = Tools.Require("python3");
        Tools.Require("gcc");

        // Stream cases only: a UDP echo that waits more than bench's 1 s timeout on a starved machine counts as lost,
        // and the C generator's run above covers UDP.
        SuiteRun run = await SuiteRun.RunAsync(python, s_runBound, "--generator", "bench", "--servers", "c-epoll", "--cases", "pingpong-64,pipeline");

        Assert.True(run.ExitCode == 0, $"benchmarks/run exited with {run.ExitCode}:\n{run.Stderr}");
        Assert.Equal("bench", run.Summary.GetProperty("generator").GetString());
        run.AssertCleanRun("pingpong-64", "c-epoll");
        run.AssertCleanRun("pipeline", "c-epoll");
        // bench's report has no generator field; the C generator's has.
        Assert.All(run.Runs, r => Assert.False(r.GetProperty("row").GetProperty("bench").TryGetProperty("generator", out _)));
        Assert.Contains("`socketserver bench`", run.Markdown, StringComparison.Ordinal);
    }
}
