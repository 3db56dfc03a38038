using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;

namespace SocketServer.Cli.Bench;

/// <summary>
/// <c>--report FILE</c>: one self-contained HTML page of a run for a person to open in a browser. The run's parameters
/// and results as tables, and SVG charts of the throughput and latency of each second and of the latency distribution.
/// Everything is inline (styles, charts); there is no script and nothing is loaded from elsewhere, so the file can be
/// mailed, attached to an issue or opened years later.
/// </summary>
internal static class HtmlReport
{
    private const string Blue = "#1f63c6";
    private const string Orange = "#d9480f";
    private const string Purple = "#7048b6";
    private const string Red = "#c92a2a";

    /// <summary>Creates the report file before the run, so a path that cannot be written fails at once, not after it.</summary>
    /// <param name="path">The path given to <c>--report</c>.</param>
    /// <param name="error">Where to say why it failed.</param>
    /// <returns>The open file, or <see langword="null"/> after one line on <paramref name="error"/>.</returns>
    public static FileStream? Create(string path, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(error);
        try
        {
            return new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            error.WriteLine($"socketserver: cannot write --report '{path}': {e.Message}");
            return null;
        }
    }

    /// <summary>Writes the page.</summary>
    /// <param name="file">The file from <see cref="Create"/>.</param>
    /// <param name="report">The run's report.</param>
    /// <param name="options">The run's options (for the parameters the report does not carry).</param>
    public static void Write(Stream file, BenchReport report, BenchOptions options)
    {
        ArgumentNullException.ThrowIfNull(file);
        byte[] page = Encoding.UTF8.GetBytes(Render(report, options, DateTimeOffset.UtcNow));
        file.Write(page);
        file.Flush();
    }

    /// <summary>The page's markup.</summary>
    /// <param name="report">The run's report.</param>
    /// <param name="options">The run's options.</param>
    /// <param name="written">When it is written, as shown on the page.</param>
    /// <returns>The HTML.</returns>
    public static string Render(BenchReport report, BenchOptions options, DateTimeOffset written)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(options);
        string unit = report.Mode == "connrate" ? "connections" : "messages";
        LatencyReport l = report.LatencyMicroseconds;
        ErrorCounts e = report.Errors;
        StringBuilder html = new();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        html.Append(F($"<title>bench {E(report.Mode)} {E(report.Target)}</title>\n"));
        html.Append("<style>\n").Append(Style).Append("</style>\n</head>\n<body>\n");

        html.Append(F($"<header><h1>socketserver bench: {E(report.Mode)} <span class=\"target\">{E(report.Target)}</span></h1>\n"));
        html.Append("<div class=\"cards\">");
        Card(html, F($"{report.MessagesPerSecond:N0}"), $"{unit} per second", string.Empty);
        Card(html, report.Messages > 0 ? Micro(l.P50) : "–", "p50 round trip", string.Empty);
        Card(html, report.Messages > 0 ? Micro(l.P99) : "–", "p99 round trip", string.Empty);
        Card(html, F($"{e.Total:N0}"), e.Total == 1 ? "error" : "errors", e.Total > 0 ? " bad" : " good");
        html.Append("</div></header>\n");

        html.Append("<section class=\"tables\">\n<table>\n<caption>Run</caption>\n");
        Row(html, "mode", report.Mode);
        Row(html, "target", report.Target);
        Row(html, "engine", options.Engine == BenchEngine.Reactor ? "reactor (epoll event loops)" : "sockets (.NET async sockets)");
        Row(html, report.Mode switch { "connrate" => "workers", "udp" => "sockets", _ => "connections" }, F($"{report.Connections}"));
        Row(html, "message size", F($"{report.Size} bytes"));
        if (report.Mode == "pipeline")
        {
            Row(html, "in flight each", F($"{report.Pipeline}"));
        }

        Row(html, "duration", F($"{options.Duration.TotalSeconds:0.###} s asked, {report.Seconds:0.000} s measured"));
        Row(html, "warm-up", F($"{report.WarmupSeconds:0.###} s"));
        if (options.MaxMessages is { } max)
        {
            Row(html, "max messages", F($"{max:N0}"));
        }

        Row(html, "generator", F($"{Environment.ProcessorCount} CPUs usable, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}"));
        Row(html, "written", written.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture));
        html.Append("</table>\n<table>\n<caption>Results</caption>\n");
        Row(html, unit, F($"{report.Messages:N0} ({report.MessagesPerSecond:N1}/s)"));
        Row(html, "throughput", F($"{report.MibPerSecond:0.000} MiB/s of payload each way"));
        Row(html, "errors", F($"{e.Total} (connect {e.Connect}, reset {e.Reset}, mismatch {e.Mismatch}, timeout {e.Timeout}, other {e.Other})"));
        Row(html, "latency p50 / p90", $"{Micro(l.P50)} / {Micro(l.P90)}");
        Row(html, "latency p99 / p99.9", $"{Micro(l.P99)} / {Micro(l.P999)}");
        Row(html, "latency max", Micro(l.Max));
        Row(html, "generator cpu", F($"{report.CpuPercent:0.0}% of one core ({report.CpuSeconds:0.000} s)"));
        if (report.Idle is { } idle)
        {
            Row(html, "idle", F($"{idle.Open} of {idle.Opened} opened connections stayed open"));
        }

        html.Append("</table>\n</section>\n");

        Chart(html, "Throughput", F($"{unit} completed in each second of the measured window"), Throughput(report, unit));
        Chart(html, "Latency distribution", "round-trip time at each percentile of all measured round trips; the percentile axis stretches the tail", Distribution(report));
        if (report.Idle is null)
        {
            Chart(html, "Latency over time", "p50 and p99 of the round trips completed in each second", LatencyOverTime(report));
        }

        if (report.TimeSeries.Any(static p => p.Errors > 0))
        {
            Chart(html, "Errors", "errors counted in each second", Errors(report));
        }

        html.Append("<footer>Written by <code>socketserver bench --report</code>. Errors include the warm-up's; the charts cover the measured window only. See docs/cli.md for what each figure means.</footer>\n");
        html.Append("</body>\n</html>\n");
        return html.ToString();
    }

    private static SvgChart? Throughput(BenchReport report, string unit)
    {
        (double X, double Y)[] points = [.. Midpoints(report, static p => p.MessagesPerSecond)];
        return points.Length == 0
            ? null
            : TimeAxis(new SvgChart($"{unit} per second over time", "seconds since measuring began", $"{unit} per second"), report).Add($"{unit}/s", Blue, points);
    }

    private static SvgChart? LatencyOverTime(BenchReport report)
    {
        TimeSeriesPoint[] measured = [.. report.TimeSeries.Where(static p => p.Messages > 0 && p.LatencyMicroseconds is not null)];
        if (measured.Length == 0)
        {
            return null;
        }

        double scale = Scale(measured.Max(static p => p.LatencyMicroseconds!.P99), out string unit);
        return TimeAxis(new SvgChart("p50 and p99 latency over time", "seconds since measuring began", $"round-trip time, {unit}"), report)
            .Add("p50", Blue, [.. Midpoints(report, p => p.Messages > 0 ? p.LatencyMicroseconds?.P50 / scale : null)])
            .Add("p99", Orange, [.. Midpoints(report, p => p.Messages > 0 ? p.LatencyMicroseconds?.P99 / scale : null)]);
    }

    private static SvgChart Errors(BenchReport report) =>
        TimeAxis(new SvgChart("errors per second over time", "seconds since measuring began", "errors in the second"), report)
            .Add("errors", Red, [.. Midpoints(report, static p => p.Errors)]);

    /// <summary>
    /// The time charts' x axis: the measured window to a whole second, rounded down when only a remainder that was
    /// folded into the last point sticks out.
    /// </summary>
    private static SvgChart TimeAxis(SvgChart chart, BenchReport report)
    {
        double end = Math.Max(1, Math.Ceiling(report.TimeSeries.Sum(static p => p.Seconds) - 0.25));
        return chart.XAxis(0, end, [.. SvgChart.NiceTicks(end, 10).Where(t => t <= end).Select(static t => (t, SvgChart.Label(t)))]);
    }

    /// <summary>
    /// The percentile curve on the usual HdrHistogram axis: x is log10(1 / (1 - p)), so 0 is the 0th percentile, 1 the
    /// 90th, 2 the 99th, 3 the 99.9th, and each decade of the tail gets the same width as the bulk.
    /// </summary>
    private static SvgChart? Distribution(BenchReport report)
    {
        if (report.LatencyDistribution.Count < 2)
        {
            return null;
        }

        static double X(double percentile) => Math.Log10(100 / (100 - percentile));
        double last = X(report.LatencyDistribution[^1].Percentile);
        int decades = Math.Clamp((int)Math.Ceiling(last - 1e-9), 2, 6);
        (double, string)[] ticks = [.. Enumerable.Range(0, decades + 1).Select(static d => ((double)d, d == 0 ? "0%" : F($"{100 - Math.Pow(10, 2 - d):0.#####}%")))];
        LatencyReport l = report.LatencyMicroseconds;

        // Log scale for the time too: one slow outlier would otherwise flatten the bulk of the curve against the axis.
        SvgChart chart = new SvgChart("round-trip time by percentile", "percentile (log scale of 1 / (1 - p))", "round-trip time (log scale)")
            .XAxis(0, decades, ticks)
            .LogY(TimeTick)
            .Add("round-trip time", Purple, [.. report.LatencyDistribution.Where(p => X(p.Percentile) <= decades).Select(p => (X(p.Percentile), p.Microseconds))]);
        chart.Note(X(50), l.P50, "p50", Blue).Note(X(90), l.P90, "p90", Blue).Note(X(99), l.P99, "p99", Orange);
        if (decades >= 3)
        {
            chart.Note(X(99.9), l.P999, "p99.9", Orange);
        }

        return chart;
    }

    /// <summary>Each point at the middle of its interval, so a short last interval sits where it happened.</summary>
    private static IEnumerable<(double X, double Y)> Midpoints(BenchReport report, Func<TimeSeriesPoint, double?> value)
    {
        double end = 0;
        foreach (TimeSeriesPoint point in report.TimeSeries)
        {
            double middle = end + (point.Seconds / 2);
            end += point.Seconds;
            if (value(point) is { } y)
            {
                yield return (middle, y);
            }
        }
    }

    /// <summary>Microseconds, or milliseconds once the values reach 10 ms, so tick labels stay short.</summary>
    private static double Scale(double maxMicroseconds, out string unit)
    {
        bool milli = maxMicroseconds >= 10_000;
        unit = milli ? "ms" : "µs";
        return milli ? 1000 : 1;
    }

    private static string Micro(double microseconds) =>
        microseconds >= 10_000 ? F($"{microseconds / 1000:N2} ms") : F($"{microseconds:N1} µs");

    /// <summary>A log axis tick's label: 1 µs, 10 µs, ..., 1 ms, ..., 1 s.</summary>
    private static string TimeTick(double microseconds) => microseconds switch
    {
        >= 1_000_000 => F($"{microseconds / 1e6:0.###} s"),
        >= 1000 => F($"{microseconds / 1000:0.###} ms"),
        _ => F($"{microseconds:0.###} µs"),
    };

    private static void Card(StringBuilder html, string value, string label, string kind) =>
        html.Append(F($"<div class=\"card{kind}\"><div class=\"value\">{E(value)}</div><div class=\"label\">{E(label)}</div></div>"));

    private static void Row(StringBuilder html, string label, string value) =>
        html.Append(F($"<tr><th>{E(label)}</th><td>{E(value)}</td></tr>\n"));

    private static void Chart(StringBuilder html, string title, string note, SvgChart? chart)
    {
        html.Append(F($"<section class=\"chart\"><h2>{E(title)} <span class=\"note\">{E(note)}</span></h2>\n"));
        html.Append(chart is null ? "<p class=\"empty\">Nothing was measured.</p>" : chart.Render());
        html.Append("\n</section>\n");
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private const string Style = """
        body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #1d2330; background: #fff; margin: 0 auto; max-width: 1000px; padding: 16px 20px 24px; }
        h1 { font-size: 22px; margin: 0 0 10px; font-weight: 600; }
        h1 .target { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 18px; color: #4a5160; font-weight: 500; }
        h2 { font-size: 16px; margin: 14px 0 2px; font-weight: 600; }
        h2 .note { font-size: 13px; font-weight: 400; color: #5d6575; margin-left: 8px; }
        .cards { display: flex; gap: 12px; margin-bottom: 12px; }
        .card { flex: 1; border: 1px solid #dfe3ea; border-radius: 8px; padding: 8px 14px; }
        .card .value { font-size: 24px; font-weight: 650; }
        .card .label { color: #5d6575; font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
        .card.good .value { color: #2b8a3e; }
        .card.bad .value { color: #c92a2a; }
        .tables { display: flex; gap: 20px; align-items: flex-start; }
        table { border-collapse: collapse; flex: 1; font-size: 13px; }
        caption { text-align: left; font-weight: 600; font-size: 15px; padding: 4px 0; }
        th { text-align: left; font-weight: 500; color: #5d6575; padding: 3px 12px 3px 0; white-space: nowrap; vertical-align: top; }
        td { padding: 3px 0; font-variant-numeric: tabular-nums; }
        tr { border-top: 1px solid #eceff4; }
        svg { display: block; }
        svg text { font-family: system-ui, "DejaVu Sans", sans-serif; fill: #1d2330; }
        svg .tick { font-size: 12px; fill: #4a5160; }
        svg .axis { font-size: 13px; }
        svg .legend { font-size: 12px; }
        svg .note { font-size: 12px; font-weight: 600; }
        .empty { color: #5d6575; font-style: italic; }
        footer { margin-top: 18px; color: #5d6575; font-size: 12px; }

        """;
}
