using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace SocketServer.Cli.Bench;

/// <summary>
/// The live view of a run on a terminal: a small table of the run so far (elapsed, messages, the last second's rate,
/// p50 and p99 so far, errors) and a sparkline of the rate, redrawn after each one-second sample. It is written to
/// standard error, so standard output keeps only the results, and it is cleared when the run ends.
/// </summary>
internal sealed class LiveDisplay : IBenchMonitor
{
    /// <summary>The rates shown in the sparkline: the last this many seconds.</summary>
    private const int SparklineSeconds = 40;

    private static readonly char[] Bars = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

    private readonly BenchOptions _options;
    private readonly bool _unicode;
    private readonly Queue<double> _rates = new();
    private readonly Lock _gate = new();
    private LiveDisplayContext? _context;
    private string _phase = "starting";
    private LiveSample? _last;
    private TimeSpan _duration;

    private LiveDisplay(BenchOptions options, bool unicode)
    {
        _options = options;
        _unicode = unicode;
    }

    /// <summary>Runs the bench with the live view on <paramref name="console"/>.</summary>
    /// <param name="console">The terminal (standard error).</param>
    /// <param name="options">What to run.</param>
    /// <param name="cancellationToken">Ends the run early.</param>
    /// <returns>The report.</returns>
    public static Task<BenchReport> RunAsync(IAnsiConsole console, BenchOptions options, CancellationToken cancellationToken)
    {
        LiveDisplay display = new(options, console.Profile.Capabilities.Unicode);
        return console.Live(display.Render())
            .AutoClear(true)
            .StartAsync(async context =>
            {
                lock (display._gate)
                {
                    display._context = context;
                }

                return await BenchRunner.RunAsync(options, cancellationToken, display).ConfigureAwait(false);
            });
    }

    /// <inheritdoc/>
    public void WarmingUp(TimeSpan warmup) =>
        Update(() => _phase = F($"warming up for {warmup.TotalSeconds:0.###} s (not measured)"));

    /// <inheritdoc/>
    public void Measuring(TimeSpan duration) => Update(() =>
    {
        _duration = duration;
        _phase = F($"measuring for up to {duration.TotalSeconds:0.###} s; Ctrl-C stops early and still reports");
    });

    /// <inheritdoc/>
    public void Sampled(LiveSample sample) => Update(() =>
    {
        _last = sample;
        _rates.Enqueue(sample.MessagesPerSecond);
        if (_rates.Count > SparklineSeconds)
        {
            _rates.Dequeue();
        }
    });

    private void Update(Action change)
    {
        lock (_gate)
        {
            change();
            _context?.UpdateTarget(Render());
        }
    }

    private string None => _unicode ? "–" : "-";

    private IRenderable Render()
    {
        string unit = _options.Mode == BenchMode.ConnRate ? "connections" : "messages";
        string micro = _unicode ? "µs" : "us";
        Table table = new Table()
            .Border(_unicode ? TableBorder.Rounded : TableBorder.Ascii)
            .Title(Markup.Escape(F($"bench {BenchModes.Name(_options.Mode)} {_options.Target.Text}, {_options.Connections} {(_options.Mode == BenchMode.ConnRate ? "workers" : "connections")}")))
            .Caption(Markup.Escape(_phase))
            .AddColumn(new TableColumn("elapsed").RightAligned())
            .AddColumn(new TableColumn(unit).RightAligned())
            .AddColumn(new TableColumn("rate /s").RightAligned())
            .AddColumn(new TableColumn($"p50 {micro}").RightAligned())
            .AddColumn(new TableColumn($"p99 {micro}").RightAligned())
            .AddColumn(new TableColumn("errors").RightAligned());
        if (_last is not { } s)
        {
            table.AddRow(None, None, None, None, None, None);
            return table;
        }

        table.AddRow(
            new Text(F($"{s.Elapsed:0} of {_duration.TotalSeconds:0.###} s")),
            new Text(F($"{s.Messages:N0}")),
            new Text(F($"{s.MessagesPerSecond:N0}"), new Style(decoration: Decoration.Bold)),
            new Text(s.P50 is { } p50 ? F($"{p50:N1}") : None),
            new Text(s.P99 is { } p99 ? F($"{p99:N1}") : None),
            new Text(F($"{s.Errors:N0}"), s.Errors > 0 ? new Style(Color.Red, decoration: Decoration.Bold) : Style.Plain));
        if (!_unicode || _rates.Count < 2)
        {
            return table;
        }

        return new Rows(table, new Text(" rate per second, last " + F($"{_rates.Count} s: ") + Sparkline(), new Style(Color.SteelBlue1)));
    }

    private string Sparkline()
    {
        double max = _rates.Max();
        return string.Concat(_rates.Select(rate => max > 0 ? Bars[(int)Math.Round(rate / max * (Bars.Length - 1))] : Bars[0]));
    }

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
