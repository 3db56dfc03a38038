using System.Globalization;
using System.Text.RegularExpressions;
using SocketServer.Cli.Bench;
using SocketServer.Cli.Tests.Infrastructure;
using SocketServer.Protocols;

namespace SocketServer.Cli.Tests.Bench;

/// <summary>
/// <c>bench --report FILE</c> as a process against a real echo server: one self-contained page with SVG charts that
/// hold data, which a real browser (headless Chromium) draws.
/// </summary>
public sealed partial class BenchHtmlReportTests
{
    [Fact]
    public void TheReportIsOneSelfContainedPageWithChartsOfTheRun()
    {
        using InProcessServer server = InProcessServer.Tcp<EchoStreamHandler>();
        using TempDirectory directory = new();
        string page = Path.Combine(directory.Path, "report.html");

        ToolRun run = CliProcess.Run("bench", "pingpong", "--target", server.Target, "-d", "3", "--warmup", "0", "-c", "2", "--json", "--report", page);

        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}; stdout: {run.Stdout} stderr: {run.Stderr}");
        Assert.Equal(string.Empty, run.Stderr);
        string html = File.ReadAllText(page);
        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.DoesNotMatch(ExternalReference(), html);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<link", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("@import", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(server.Target, html, StringComparison.Ordinal);

        string[] charts = [.. Svg().Matches(html).Select(static m => m.Value)];
        Assert.True(charts.Length >= 2, $"{charts.Length} charts");
        Assert.All(charts, static chart =>
        {
            int points = Polyline().Matches(chart).Max(static m => m.Groups["points"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
            Assert.True(points > 1, chart);
        });
    }

    [Fact]
    public void AReportFileThatCannotBeCreatedIsExitCode1BeforeAnythingRuns()
    {
        // Nobody listens there: had the run started, it would have counted connect errors and exited with 4.
        string target;
        using (InProcessServer server = InProcessServer.Tcp<EchoStreamHandler>())
        {
            target = server.Target;
        }

        ToolRun run = CliProcess.Run("bench", "pingpong", "--target", target, "-d", "1", "--report", "/nonexistent-directory/report.html");

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Equal(string.Empty, run.Stdout);
        string line = Assert.Single(run.Stderr.TrimEnd('\n').Split('\n'));
        Assert.StartsWith("socketserver: cannot write --report '/nonexistent-directory/report.html': ", line, StringComparison.Ordinal);
    }

    [Fact]
    public void ChromiumDrawsTheChartsWithTheirData()
    {
        using InProcessServer server = InProcessServer.Tcp<EchoStreamHandler>();
        using TempDirectory directory = new();
        string page = Path.Combine(directory.Path, "report.html");
        ToolRun run = CliProcess.Run("bench", "pingpong", "--target", server.Target, "-d", "3", "--warmup", "0", "-c", "2", "--report", page);
        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}; stdout: {run.Stdout} stderr: {run.Stderr}");

        PngImage screenshot = HeadlessChromium.Screenshot(page, 1200, 1600);

        // The plot areas are the only places filled with SvgChart.PlotFill; each chart is a band of such rows.
        (byte R, byte G, byte B) fill = Rgb(SvgChart.PlotFill);
        List<(int Top, int Bottom, int Left, int Right)> plots = PlotAreas(screenshot, fill);
        Assert.True(plots.Count >= 2, $"found {plots.Count} plot areas in the screenshot");
        foreach ((int top, int bottom, int left, int right) in plots)
        {
            // Series are drawn in saturated colours; the fill, the grid, the axes and the text are all near grey.
            int drawn = 0;
            for (int y = top; y <= bottom; y++)
            {
                for (int x = left; x <= right; x++)
                {
                    (byte r, byte g, byte b) = screenshot[x, y];
                    drawn += Math.Max(r, Math.Max(g, b)) - Math.Min(r, Math.Min(g, b)) > 60 ? 1 : 0;
                }
            }

            Assert.True(drawn > 200, $"only {drawn} coloured pixels in the plot at rows {top}-{bottom}, columns {left}-{right}");
        }
    }

    /// <summary>Bands of rows with a run of fill pixels, joined across the thin grid lines that cross them.</summary>
    private static List<(int Top, int Bottom, int Left, int Right)> PlotAreas(PngImage image, (byte R, byte G, byte B) fill)
    {
        List<(int Top, int Bottom, int Left, int Right)> plots = [];
        int top = -1, bottom = -1, left = int.MaxValue, right = -1;
        for (int y = 0; y < image.Height; y++)
        {
            int count = 0, first = -1, last = -1;
            for (int x = 0; x < image.Width; x++)
            {
                (byte r, byte g, byte b) = image[x, y];
                if (Math.Abs(r - fill.R) <= 2 && Math.Abs(g - fill.G) <= 2 && Math.Abs(b - fill.B) <= 2)
                {
                    count++;
                    first = first < 0 ? x : first;
                    last = x;
                }
            }

            if (count >= 200)
            {
                top = top < 0 ? y : top;
                bottom = y;
                left = Math.Min(left, first);
                right = Math.Max(right, last);
            }
            else if (top >= 0 && y - bottom > 6)
            {
                if (bottom - top >= 100)
                {
                    plots.Add((top, bottom, left, right));
                }

                (top, bottom, left, right) = (-1, -1, int.MaxValue, -1);
            }
        }

        if (top >= 0 && bottom - top >= 100)
        {
            plots.Add((top, bottom, left, right));
        }

        return plots;
    }

    private static (byte R, byte G, byte B) Rgb(string hex) =>
        (byte.Parse(hex[1..3], NumberStyles.HexNumber, CultureInfo.InvariantCulture),
         byte.Parse(hex[3..5], NumberStyles.HexNumber, CultureInfo.InvariantCulture),
         byte.Parse(hex[5..7], NumberStyles.HexNumber, CultureInfo.InvariantCulture));

    [GeneratedRegex(@"(src|href)\s*=\s*[""']?\s*(https?:|//)|url\(", RegexOptions.IgnoreCase)]
    private static partial Regex ExternalReference();

    [GeneratedRegex(@"<svg\b.*?</svg>", RegexOptions.Singleline)]
    private static partial Regex Svg();

    [GeneratedRegex(@"<polyline\b[^>]*\bpoints=""(?<points>[^""]*)""")]
    private static partial Regex Polyline();
}
