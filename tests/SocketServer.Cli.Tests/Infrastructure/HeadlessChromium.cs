namespace SocketServer.Cli.Tests.Infrastructure;

/// <summary>
/// Debian's <c>chromium</c>, headless, taking a screenshot of a page as a person's browser would draw it. A test that
/// needs it is skipped, with the reason, when it is not installed or cannot start here.
/// </summary>
internal static class HeadlessChromium
{
    /// <summary>Draws <paramref name="page"/> in a window of the given size and returns the screenshot.</summary>
    public static PngImage Screenshot(string page, int width, int height)
    {
        string chromium = Tools.Require("chromium");
        using TempDirectory profile = new();
        string png = Path.Combine(profile.Path, "screenshot.png");
        ToolRun run = ToolRun.Run(chromium,
        [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
            "--force-device-scale-factor=1", "--no-first-run", "--user-data-dir=" + Path.Combine(profile.Path, "profile"),
            "--screenshot=" + png, $"--window-size={width},{height}", new Uri(page).AbsoluteUri,
        ]);
        if (!File.Exists(png))
        {
            string reason = run.Stderr.Trim().Split('\n').LastOrDefault(static l => l.Length > 0) ?? "no output";
            Assert.Skip($"chromium could not take a screenshot (exit {run.ExitCode}): {reason}");
        }

        return PngImage.Decode(File.ReadAllBytes(png));
    }
}
