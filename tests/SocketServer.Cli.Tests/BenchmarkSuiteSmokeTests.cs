using System.Diagnostics;
using System.Text.Json;
using SocketServer.Cli.Tests.Infrastructure;

namespace SocketServer.Cli.Tests;

/// <summary>
/// The benchmark suite (<c>benchmarks/run</c>) must not rot: a sub-second smoke run of every case against every
/// server ends cleanly, every server that starts has a row for every case it serves, and no run counted an error.
/// Nothing is asserted about speed.
/// </summary>
public sealed class BenchmarkSuiteSmokeTests
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    /// <summary>The servers this branch has; a server added later (the async mode) is checked once it starts.</summary>
    private static readonly string[] s_serversThatMustStart =
        ["c-epoll", "kestrel", "dotnet-socket", "python-asyncio", "python-threading", "ss-threading", "ss-sync"];

    /// <summary>A bound on the whole run (which takes about a minute here), so that a hang fails instead of blocking CI.</summary>
    private static readonly TimeSpan s_runBound = TimeSpan.FromMinutes(6);

    [Fact]
    public async Task SmokeRunCoversEveryServerAndCaseWithoutErrors()
    {
        string python = Tools.Require("python3");
        Tools.Require("gcc");
        string repository = FindRepository();
        using var directory = new TempDirectory();
        string report = Path.Combine(directory.Path, "benchmarks.md");
        string results = Path.Combine(directory.Path, "results.jsonl");

        (int exitCode, string stderr) = await RunAsync(
            python,
            [Path.Combine(repository, "benchmarks", "run"), "--smoke", "--no-build", "--configuration", Configuration,
             "--out", report, "--results", results]);

        Assert.True(exitCode == 0, $"benchmarks/run exited with {exitCode}:\n{stderr}");
        string[] lines = File.ReadAllLines(results).Where(static l => l.Length > 0).ToArray();
        using JsonDocument summaryLine = JsonDocument.Parse(lines[^1]);
        JsonElement summary = summaryLine.RootElement.GetProperty("summary");
        var runs = lines[..^1].Select(static l => JsonDocument.Parse(l).RootElement).ToList();

        foreach (string name in s_serversThatMustStart)
        {
            JsonElement server = summary.GetProperty("servers").GetProperty(name);
            Assert.True(server.GetProperty("available").GetBoolean(), $"{name} did not start: {server.GetProperty("reason")}");
        }

        int checkedRuns = 0;
        foreach (JsonProperty server in summary.GetProperty("servers").EnumerateObject())
        {
            if (!server.Value.GetProperty("available").GetBoolean())
            {
                continue;
            }

            foreach (JsonElement caseName in server.Value.GetProperty("cases").EnumerateArray())
            {
                string label = $"{caseName.GetString()} on {server.Name}";
                JsonElement run = Assert.Single(runs, r =>
                    r.GetProperty("case").GetString() == caseName.GetString() && r.GetProperty("server").GetString() == server.Name);
                JsonElement row = run.GetProperty("row");
                Assert.False(row.TryGetProperty("failure", out JsonElement failure), $"{label}: {failure}");
                JsonElement bench = row.GetProperty("bench");
                Assert.True(bench.GetProperty("errors").GetProperty("total").GetInt64() == 0, $"{label}: {bench.GetProperty("errors")}");
                Assert.True(bench.GetProperty("messages").GetInt64() > 0, $"{label}: no message was echoed");
                if (bench.TryGetProperty("idle", out JsonElement idle))
                {
                    Assert.Equal(row.GetProperty("connections").GetInt32(), idle.GetProperty("open").GetInt32());
                    Assert.True(row.TryGetProperty("kibPerConnection", out _), $"{label}: no memory figure");
                }

                checkedRuns++;
            }
        }

        Assert.Equal(runs.Count, checkedRuns);
        string markdown = await File.ReadAllTextAsync(report, TestContext.Current.CancellationToken);
        Assert.Contains("<!-- BEGIN generated: suite -->", markdown, StringComparison.Ordinal);
        Assert.Contains("<!-- END generated: suite -->", markdown, StringComparison.Ordinal);
    }

    private static string FindRepository()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "SocketServer.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No SocketServer.slnx above {AppContext.BaseDirectory}");
    }

    /// <summary>Runs the suite to its end within <see cref="s_runBound"/>; on a hang, stops it by its id with SIGTERM.</summary>
    private static async Task<(int ExitCode, string Stderr)> RunAsync(string fileName, IEnumerable<string> arguments)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(startInfo) ?? throw new InvalidOperationException($"Could not start {fileName}");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(s_runBound);
        }
        catch (TimeoutException)
        {
            // SIGTERM lets the runner stop every server and generator it started before it exits.
            Signals.Send(process.Id, Signals.SIGTERM);
            if (!process.WaitForExit(TestTimeouts.Long))
            {
                process.Kill();
            }

            Assert.Fail($"benchmarks/run did not finish in {s_runBound}:\n{await stderr.WaitAsync(TestTimeouts.Long)}");
        }

        await Task.WhenAll(stdout, stderr).WaitAsync(TestTimeouts.Long);
        return (process.ExitCode, await stderr);
    }
}
