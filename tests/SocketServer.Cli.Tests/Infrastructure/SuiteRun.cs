using System.Diagnostics;
using System.Text.Json;

namespace SocketServer.Cli.Tests.Infrastructure;

/// <summary>
/// One run of the benchmark suite (<c>benchmarks/run --smoke --no-build</c> plus the given arguments) into a temporary
/// report and results file, bounded in time; and what its results file says.
/// </summary>
internal sealed class SuiteRun
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    private SuiteRun(int exitCode, string stderr, string markdown, JsonElement summary, IReadOnlyList<JsonElement> runs)
    {
        ExitCode = exitCode;
        Stderr = stderr;
        Markdown = markdown;
        Summary = summary;
        Runs = runs;
    }

    public int ExitCode { get; }

    public string Stderr { get; }

    /// <summary>The report the run wrote.</summary>
    public string Markdown { get; }

    /// <summary>The results file's last line: which generator ran, which servers were available and why not.</summary>
    public JsonElement Summary { get; }

    /// <summary>Every run of a case against a server: <c>case</c>, <c>server</c>, <c>rep</c> and <c>row</c>.</summary>
    public IReadOnlyList<JsonElement> Runs { get; }

    /// <summary>Runs the suite to its end within <paramref name="bound"/>; on a hang, stops it by its id with SIGTERM and fails.</summary>
    public static async Task<SuiteRun> RunAsync(string python, TimeSpan bound, params string[] arguments)
    {
        string repository = FindRepository();
        using var directory = new TempDirectory();
        string report = Path.Combine(directory.Path, "benchmarks.md");
        string results = Path.Combine(directory.Path, "results.jsonl");
        var startInfo = new ProcessStartInfo(python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in (string[])[Path.Combine(repository, "benchmarks", "run"), "--smoke", "--no-build", "--configuration", Configuration,
                     "--out", report, "--results", results, .. arguments])
        {
            startInfo.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(startInfo) ?? throw new InvalidOperationException($"Could not start {python}");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(bound);
        }
        catch (TimeoutException)
        {
            // SIGTERM lets the runner stop every server and generator it started before it exits.
            Signals.Send(process.Id, Signals.SIGTERM);
            if (!process.WaitForExit(TestTimeouts.Long))
            {
                process.Kill();
            }

            Assert.Fail($"benchmarks/run did not finish in {bound}:\n{await stderr.WaitAsync(TestTimeouts.Long)}");
        }

        await Task.WhenAll(stdout, stderr).WaitAsync(TestTimeouts.Long);
        Assert.True(File.Exists(results), $"benchmarks/run wrote no results (exit code {process.ExitCode}):\n{await stderr}");
        string[] lines = [.. File.ReadAllLines(results).Where(static l => l.Length > 0)];
        JsonElement summary = Parse(lines[^1]).GetProperty("summary");
        JsonElement[] runs = [.. lines[..^1].Select(Parse)];
        string markdown = File.Exists(report) ? await File.ReadAllTextAsync(report) : "";
        return new SuiteRun(process.ExitCode, await stderr, markdown, summary, runs);
    }

    /// <summary>Whether <paramref name="server"/> ran; if not, why (the runner's reason).</summary>
    public bool IsAvailable(string server, out string reason)
    {
        JsonElement entry = Summary.GetProperty("servers").GetProperty(server);
        reason = entry.GetProperty("reason").ValueKind == JsonValueKind.String ? entry.GetProperty("reason").GetString()! : "";
        return entry.GetProperty("available").GetBoolean();
    }

    /// <summary>The cases the runner meant <paramref name="server"/> to run.</summary>
    public IEnumerable<string> CasesOf(string server) =>
        Summary.GetProperty("servers").GetProperty(server).GetProperty("cases").EnumerateArray().Select(static c => c.GetString()!);

    /// <summary>
    /// Checks the one run of <paramref name="caseName"/> on <paramref name="server"/>: it did not fail, counted no error
    /// and echoed at least one message (and, in the idle case, held every connection and measured its memory).
    /// </summary>
    public void AssertCleanRun(string caseName, string server)
    {
        string label = $"{caseName} on {server}";
        JsonElement run = Assert.Single(Runs, r => r.GetProperty("case").GetString() == caseName && r.GetProperty("server").GetString() == server);
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
    }

    private static JsonElement Parse(string line)
    {
        using JsonDocument document = JsonDocument.Parse(line);
        return document.RootElement.Clone();
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
}
