using SocketServer.Cli.Tests.Infrastructure;
using SocketServer.Protocols;

namespace SocketServer.Cli.Tests.Bench;

/// <summary>
/// bench on a terminal, as a person runs it: under <c>script</c>, which gives it a pseudo-terminal for standard output
/// and error. It draws the live display and ends with the results tables; a terminal that cannot redraw gets a
/// progress line per sample instead.
/// </summary>
public sealed class BenchTerminalTests
{
    [Fact]
    public void ATerminalGetsTheLiveDisplayAndTheResultsTables()
    {
        using InProcessServer server = InProcessServer.Tcp<EchoStreamHandler>();

        ToolRun run = RunOnATerminal("xterm-256color", "bench", "pingpong", "--target", server.Target, "-d", "2", "--warmup", "0", "-c", "2");

        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}; output: {run.Stdout}");

        // The live table's header, drawn with cursor movements, and at least one row (the last sample always is one).
        Assert.Contains("rate /s", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("of 2 s", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("\u001b[", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("bench results", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("round-trip latency", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("0 (connect 0, reset 0, mismatch 0, timeout 0, other 0)", run.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("latency us  p50", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void ATerminalThatCannotRedrawGetsAProgressLinePerSample()
    {
        using InProcessServer server = InProcessServer.Tcp<EchoStreamHandler>();

        ToolRun run = RunOnATerminal("dumb", "bench", "pingpong", "--target", server.Target, "-d", "2", "--warmup", "0", "-c", "2");

        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}; output: {run.Stdout}");
        string[] lines = [.. run.Stdout.Split('\n').Select(static l => l.TrimEnd('\r'))];
        Assert.Contains("bench: measuring for up to 2 s", lines);
        Assert.Contains(lines, static l => l.StartsWith("bench: ", StringComparison.Ordinal) && l.EndsWith(" errors 0", StringComparison.Ordinal));
        Assert.Contains("bench results", run.Stdout, StringComparison.Ordinal);
    }

    /// <summary>Runs the CLI under <c>script</c> with <c>TERM</c> set; its output is whatever the terminal was sent.</summary>
    private static ToolRun RunOnATerminal(string term, params string[] arguments)
    {
        string script = Tools.Require("script");
        string command = string.Join(' ', new[] { "env", "TERM=" + term, CliProcess.DotnetHost, CliProcess.DllPath }.Concat(arguments).Select(Quote));
        return ToolRun.Run(script, ["--quiet", "--flush", "--return", "--command", command, "/dev/null"]);
    }

    private static string Quote(string word) => "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
