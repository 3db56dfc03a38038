using System.Globalization;
using System.Net;
using System.Text;

namespace SocketServer.Cli.Bench;

/// <summary>
/// A line chart as inline SVG for the HTML report: a plot area with grid lines, labelled ticks on both axes, axis
/// titles, a legend, and one polyline (with markers when there are few points) per series. The y axis starts at 0,
/// or is logarithmic. Written by hand so the report needs no script and nothing from elsewhere.
/// </summary>
/// <param name="description">What the chart shows, for screen readers (the SVG's title).</param>
/// <param name="xTitle">The x axis title, with its unit.</param>
/// <param name="yTitle">The y axis title, with its unit.</param>
internal sealed class SvgChart(string description, string xTitle, string yTitle)
{
    /// <summary>
    /// The plot area's fill. Nothing else on the page has this colour, which is how a test finds the charts in a
    /// screenshot of the page (and a person sees where the data is drawn).
    /// </summary>
    public const string PlotFill = "#f3f6fc";

    private const int Width = 960;
    private const int Height = 280;
    private const int Left = 84;
    private const int Right = 44;
    private const int Top = 34;
    private const int Bottom = 50;

    private readonly List<Series> _series = [];
    private readonly List<(double X, double Y, string Label, string Colour)> _notes = [];
    private IReadOnlyList<(double Value, string Label)>? _xTicks;
    private (double Min, double Max)? _xRange;
    private Func<double, string>? _logYLabel;

    /// <summary>Adds a series; points are in data units, in x order.</summary>
    /// <param name="name">Its name in the legend.</param>
    /// <param name="colour">Its CSS colour.</param>
    /// <param name="points">Its points.</param>
    /// <returns>This chart.</returns>
    public SvgChart Add(string name, string colour, IReadOnlyList<(double X, double Y)> points)
    {
        _series.Add(new Series(name, colour, points));
        return this;
    }

    /// <summary>Marks one point with a dot and a short label, such as a percentile.</summary>
    /// <param name="x">Its x, in data units.</param>
    /// <param name="y">Its y.</param>
    /// <param name="label">The label.</param>
    /// <param name="colour">The dot's colour.</param>
    /// <returns>This chart.</returns>
    public SvgChart Note(double x, double y, string label, string colour)
    {
        _notes.Add((x, y, label, colour));
        return this;
    }

    /// <summary>Fixes the x axis instead of fitting it to the data, with ticks of its own (for a transformed axis).</summary>
    /// <param name="min">The left end.</param>
    /// <param name="max">The right end.</param>
    /// <param name="ticks">The ticks and their labels.</param>
    /// <returns>This chart.</returns>
    public SvgChart XAxis(double min, double max, IReadOnlyList<(double Value, string Label)> ticks)
    {
        _xRange = (min, max);
        _xTicks = ticks;
        return this;
    }

    /// <summary>Makes the y axis logarithmic, with ticks at powers of ten (and 2 and 5 times them over a short range).</summary>
    /// <param name="label">Labels a tick's value, with its unit.</param>
    /// <returns>This chart.</returns>
    public SvgChart LogY(Func<double, string> label)
    {
        _logYLabel = label;
        return this;
    }

    /// <summary>Tick positions from 0 to at least <paramref name="max"/>, at a step of 1, 2 or 5 times a power of ten.</summary>
    /// <param name="max">The largest value to cover; at most 0 gives the ticks of 0 to 1.</param>
    /// <param name="count">About how many steps.</param>
    /// <returns>The ticks, from 0; the last is the axis end.</returns>
    public static double[] NiceTicks(double max, int count = 5)
    {
        if (!(max > 0) || double.IsInfinity(max))
        {
            max = 1;
        }

        double rough = max / count;
        double power = Math.Pow(10, Math.Floor(Math.Log10(rough)));
        double step = power * (rough / power) switch { <= 1 => 1, <= 2 => 2, <= 5 => 5, _ => 10 };
        int steps = (int)Math.Ceiling((max / step) - 1e-9);
        return [.. Enumerable.Range(0, steps + 1).Select(i => Math.Round(i * step, 12))];
    }

    /// <summary>A tick label: short, with k or M for large values, without trailing zeros.</summary>
    /// <param name="value">The tick's value.</param>
    /// <returns>The label.</returns>
    public static string Label(double value) => Math.Abs(value) switch
    {
        >= 1e6 => F($"{value / 1e6:0.##}M"),
        >= 1e4 => F($"{value / 1e3:0.##}k"),
        >= 1000 => F($"{value:N0}"),
        _ => F($"{value:0.###}"),
    };

    /// <summary>The chart as an <c>&lt;svg&gt;</c> element.</summary>
    /// <returns>The markup.</returns>
    public string Render()
    {
        IEnumerable<(double X, double Y)> all = _series.SelectMany(static s => s.Points).Concat(_notes.Select(static n => (n.X, n.Y)));
        double[] yTicks = _logYLabel is null ? NiceTicks(all.Select(static p => p.Y).DefaultIfEmpty(0).Max()) : LogTicks(all.Select(static p => p.Y));
        Func<double, string> yLabel = _logYLabel ?? Label;
        (double xMin, double xMax) = _xRange ?? (0, NiceTicks(all.Select(static p => p.X).DefaultIfEmpty(0).Max())[^1]);
        IReadOnlyList<(double Value, string Label)> xTicks = _xTicks ?? [.. NiceTicks(xMax, 10).Where(t => t <= xMax).Select(static t => (t, Label(t)))];
        double yMin = yTicks[0];
        double yMax = yTicks[^1];
        double plotWidth = Width - Left - Right;
        double plotHeight = Height - Top - Bottom;
        double Px(double x) => Left + ((x - xMin) / (xMax - xMin) * plotWidth);
        double Py(double y) => Top + plotHeight - (plotHeight * (_logYLabel is null
            ? y / yMax
            : (Math.Log10(Math.Max(y, yMin)) - Math.Log10(yMin)) / (Math.Log10(yMax) - Math.Log10(yMin))));

        StringBuilder svg = new();
        svg.Append(F($"<svg width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" role=\"img\">"));
        svg.Append(F($"<title>{E(description)}</title>"));
        svg.Append(F($"<rect class=\"plot\" x=\"{Left}\" y=\"{Top}\" width=\"{plotWidth}\" height=\"{plotHeight}\" fill=\"{PlotFill}\"/>"));
        foreach (double tick in yTicks)
        {
            svg.Append(F($"<line x1=\"{Left}\" x2=\"{Left + plotWidth}\" y1=\"{Py(tick):0.#}\" y2=\"{Py(tick):0.#}\" stroke=\"#d5dae3\" stroke-width=\"1\"/>"));
            svg.Append(F($"<text x=\"{Left - 8}\" y=\"{Py(tick) + 4:0.#}\" text-anchor=\"end\" class=\"tick\">{E(yLabel(tick))}</text>"));
        }

        foreach ((double value, string label) in xTicks)
        {
            svg.Append(F($"<line x1=\"{Px(value):0.#}\" x2=\"{Px(value):0.#}\" y1=\"{Top}\" y2=\"{Top + plotHeight + 5}\" stroke=\"#d5dae3\" stroke-width=\"1\"/>"));
            svg.Append(F($"<text x=\"{Px(value):0.#}\" y=\"{Top + plotHeight + 20}\" text-anchor=\"middle\" class=\"tick\">{E(label)}</text>"));
        }

        svg.Append(F($"<line x1=\"{Left}\" x2=\"{Left + plotWidth}\" y1=\"{Top + plotHeight}\" y2=\"{Top + plotHeight}\" stroke=\"#4a5160\" stroke-width=\"1.5\"/>"));
        svg.Append(F($"<line x1=\"{Left}\" x2=\"{Left}\" y1=\"{Top}\" y2=\"{Top + plotHeight}\" stroke=\"#4a5160\" stroke-width=\"1.5\"/>"));
        svg.Append(F($"<text x=\"{Left + (plotWidth / 2)}\" y=\"{Height - 8}\" text-anchor=\"middle\" class=\"axis\">{E(xTitle)}</text>"));
        svg.Append(F($"<text transform=\"translate(18 {Top + (plotHeight / 2)}) rotate(-90)\" text-anchor=\"middle\" class=\"axis\">{E(yTitle)}</text>"));

        foreach (Series series in _series)
        {
            string points = string.Join(' ', series.Points.Select(p => F($"{Px(p.X):0.#},{Py(p.Y):0.#}")));
            svg.Append(F($"<polyline fill=\"none\" stroke=\"{series.Colour}\" stroke-width=\"2.5\" stroke-linejoin=\"round\" points=\"{points}\"/>"));
            if (series.Points.Count <= 60)
            {
                foreach ((double x, double y) in series.Points)
                {
                    svg.Append(F($"<circle cx=\"{Px(x):0.#}\" cy=\"{Py(y):0.#}\" r=\"3.5\" fill=\"{series.Colour}\"/>"));
                }
            }
        }

        foreach ((double x, double y, string label, string colour) in _notes)
        {
            svg.Append(F($"<circle cx=\"{Px(x):0.#}\" cy=\"{Py(y):0.#}\" r=\"5\" fill=\"{colour}\" stroke=\"#fff\" stroke-width=\"1.5\"/>"));
            svg.Append(F($"<text x=\"{Px(x) - 8:0.#}\" y=\"{Py(y) - 9:0.#}\" text-anchor=\"end\" class=\"note\">{E(label)}</text>"));
        }

        double legendX = Left + plotWidth;
        for (int i = _series.Count - 1; i >= 0; i--)
        {
            Series series = _series[i];
            double textWidth = series.Name.Length * 7.2;
            legendX -= textWidth;
            svg.Append(F($"<text x=\"{legendX:0.#}\" y=\"{Top - 12}\" class=\"legend\">{E(series.Name)}</text>"));
            svg.Append(F($"<rect x=\"{legendX - 22:0.#}\" y=\"{Top - 20}\" width=\"16\" height=\"6\" rx=\"2\" fill=\"{series.Colour}\"/>"));
            legendX -= 40;
        }

        svg.Append("</svg>");
        return svg.ToString();
    }

    /// <summary>Ticks for a log axis: the powers of ten around the values, and 2 and 5 times them when that gives few.</summary>
    private static double[] LogTicks(IEnumerable<double> values)
    {
        double[] positive = [.. values.Where(static v => v > 0)];
        int low = positive.Length == 0 ? 0 : (int)Math.Floor(Math.Log10(positive.Min()));
        int high = positive.Length == 0 ? 1 : Math.Max(low + 1, (int)Math.Ceiling(Math.Log10(positive.Max())));
        int[] steps = high - low <= 2 ? [1, 2, 5] : [1];
        return [.. Enumerable.Range(low, high - low + 1)
            .SelectMany(decade => steps.Select(step => step * Math.Pow(10, decade)))
            .Where(tick => tick <= Math.Pow(10, high))];
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private sealed record Series(string Name, string Colour, IReadOnlyList<(double X, double Y)> Points);
}
