using Spectre.Console;

namespace SocketServer.Cli.Bench;

/// <summary>
/// Chooses how a run is shown: the live display and the results tables for a person at a terminal, the plain lines
/// (unchanged, since scripts parse them) when the output goes anywhere else. Each stream is judged on its own, so
/// <c>bench ... &gt; results.txt</c> still shows the live display on the terminal's standard error.
/// </summary>
internal static class BenchConsole
{
    /// <summary>Runs the bench, with the live display on standard error when that is a terminal.</summary>
    /// <param name="options">What to run.</param>
    /// <param name="error">The command's standard error writer.</param>
    /// <param name="cancellationToken">Ends the run early.</param>
    /// <returns>The report.</returns>
    public static Task<BenchReport> RunAsync(BenchOptions options, TextWriter error, CancellationToken cancellationToken)
    {
        if (Terminal(error, Console.Error, Console.IsErrorRedirected) is not { } console)
        {
            return BenchRunner.RunAsync(options, cancellationToken);
        }

        // A terminal that cannot move the cursor (TERM=dumb, or none) gets a line per second instead of a redrawn table.
        return console.Profile.Capabilities.Ansi
            ? LiveDisplay.RunAsync(console, options, cancellationToken)
            : BenchRunner.RunAsync(options, cancellationToken, new ProgressLines(error, options.Mode));
    }

    /// <summary>Writes the results: tables on a terminal, otherwise <see cref="BenchReportWriter.WriteText"/>'s lines.</summary>
    /// <param name="report">The report.</param>
    /// <param name="output">The command's standard output writer.</param>
    public static void WriteText(BenchReport report, TextWriter output)
    {
        if (Terminal(output, Console.Out, Console.IsOutputRedirected) is { } console)
        {
            ResultsTable.Write(console, report);
        }
        else
        {
            BenchReportWriter.WriteText(report, output);
        }
    }

    /// <summary>A Spectre console on <paramref name="writer"/> if it is the process's own stream and that is a terminal.</summary>
    /// <remarks>A writer the caller supplied (the tests' captured output) is never a terminal, whatever the process's streams are.</remarks>
    private static IAnsiConsole? Terminal(TextWriter writer, TextWriter stream, bool redirected) =>
        ReferenceEquals(writer, stream) && !redirected
            ? AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer), Interactive = InteractionSupport.Yes })
            : null;
}
