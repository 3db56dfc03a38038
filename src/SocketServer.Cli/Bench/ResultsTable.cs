using System.Globalization;
using Spectre.Console;

namespace SocketServer.Cli.Bench;

/// <summary>
/// The results as tables, for a person at a terminal: the same figures as <see cref="BenchReportWriter.WriteText"/>,
/// plus the slowest and fastest second. Only used when standard output is a terminal; scripts get the plain lines.
/// </summary>
internal static class ResultsTable
{
    /// <summary>Writes the report.</summary>
    /// <param name="console">Standard output, a terminal.</param>
    /// <param name="report">The report.</param>
    public static void Write(IAnsiConsole console, BenchReport report)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(report);
        bool unicode = console.Profile.Capabilities.Unicode;
        string unit = report.Mode == "connrate" ? "connections" : "messages";
        string load = report.Mode switch { "connrate" => "workers", "udp" => "sockets", _ => "connections" };
        string pipeline = report.Mode == "pipeline" ? F($", {report.Pipeline} in flight each") : string.Empty;
        ErrorCounts e = report.Errors;

        Table results = new Table()
            .Border(unicode ? TableBorder.Rounded : TableBorder.Ascii)
            .Title("bench results")
            .HideHeaders()
            .AddColumn(new TableColumn(string.Empty))
            .AddColumn(new TableColumn(string.Empty));
        Row(results, "target", F($"{report.Mode} {report.Target}"));
        Row(results, "load", F($"{report.Connections} {load}, {report.Size}-byte messages{pipeline}"));
        Row(results, "measured", F($"{report.Seconds:0.000} s after {report.WarmupSeconds:0.###} s of warm-up"));
        results.AddRow(
            new Text(unit),
            new Markup(Markup.Escape(F($"{report.Messages:N0} ")) + "[bold]" + Markup.Escape(F($"({report.MessagesPerSecond:N1}/s)")) + "[/]"));
        if (report.TimeSeries.Count > 1)
        {
            // The last second may be a short remainder whose rate says little; the whole seconds show the spread.
            IEnumerable<TimeSeriesPoint> whole = report.TimeSeries.Where(static p => p.Seconds >= 0.5);
            if (whole.Any())
            {
                Row(results, "per second", F($"slowest {whole.Min(static p => p.MessagesPerSecond):N0}/s, fastest {whole.Max(static p => p.MessagesPerSecond):N0}/s over {report.TimeSeries.Count} s"));
            }
        }

        Row(results, "throughput", F($"{report.MibPerSecond:0.000} MiB/s of payload each way"));
        results.AddRow(
            new Text("errors"),
            new Text(
                F($"{e.Total} (connect {e.Connect}, reset {e.Reset}, mismatch {e.Mismatch}, timeout {e.Timeout}, other {e.Other})"),
                e.Total > 0 ? new Style(Color.Red, decoration: Decoration.Bold) : new Style(Color.Green)));
        Row(results, "cpu", F($"{report.CpuPercent:0.0}% of one core ({report.CpuSeconds:0.000} s of processor time)"));
        if (report.Idle is { } idle)
        {
            Row(results, "idle", F($"{idle.Open} of {idle.Opened} opened connections stayed open"));
        }

        string micro = unicode ? "µs" : "us";
        LatencyReport l = report.LatencyMicroseconds;
        Table latency = new Table()
            .Border(unicode ? TableBorder.Rounded : TableBorder.Ascii)
            .Title($"round-trip latency, {micro}")
            .AddColumns(
                new TableColumn("p50").RightAligned(),
                new TableColumn("p90").RightAligned(),
                new TableColumn("p99").RightAligned(),
                new TableColumn("p99.9").RightAligned(),
                new TableColumn("max").RightAligned())
            .AddRow(F($"{l.P50:N1}"), F($"{l.P90:N1}"), F($"{l.P99:N1}"), F($"{l.P999:N1}"), F($"{l.Max:N1}"));

        console.Write(results);
        console.Write(latency);
    }

    private static void Row(Table table, string label, string value) => table.AddRow(new Text(label), new Text(value));

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
