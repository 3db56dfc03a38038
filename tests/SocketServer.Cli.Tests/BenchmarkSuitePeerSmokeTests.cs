using SocketServer.Cli.Tests.Infrastructure;

namespace SocketServer.Cli.Tests;

/// <summary>
/// The benchmark suite's newer servers each echo a smoke run of ping-pong (and UDP, where they serve it) loaded by the
/// C load generator, without an error. A server whose tool is not installed here (Go, Node.js, liburing), whose kernel
/// interface is switched off (io_uring) or whose CLI option this build does not have yet (<c>--transport</c>) is
/// Skipped with the runner's reason; any other reason for not starting fails.
/// </summary>
// One suite run at a time: each pins its servers to CPU 0 and its generator to CPU 1.
[Collection("benchmark suite")]
public sealed class BenchmarkSuitePeerSmokeTests(SuitePeerRun peers) : IClassFixture<SuitePeerRun>
{
    [Fact]
    public void TheCGeneratorIsTheDefaultAndLoadsTheCReference()
    {
        SuiteRun run = RunOrSkip();

        Assert.Equal("c", run.Summary.GetProperty("generator").GetString());
        Assert.True(run.IsAvailable("c-epoll", out string reason), $"c-epoll did not start: {reason}");
        run.AssertCleanRun("pingpong-64", "c-epoll");
        run.AssertCleanRun("udp", "c-epoll");
        Assert.Contains("loadgen.c", run.Markdown, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("c-uring")]
    [InlineData("go-net")]
    [InlineData("node-net")]
    [InlineData("python-threading-rfile")]
    [InlineData("ss-threading-raw")]
    [InlineData("ss-async-uring")]
    public void PeerEchoesItsSmokeCases(string server)
    {
        SuiteRun run = RunOrSkip();

        if (!run.IsAvailable(server, out string reason))
        {
            Assert.True(IsAbsence(reason), $"{server} did not start: {reason}");
            Assert.Skip($"{server} is not available here: {reason}");
        }

        string[] cases = [.. run.CasesOf(server)];
        Assert.Contains("pingpong-64", cases);
        foreach (string caseName in cases)
        {
            run.AssertCleanRun(caseName, server);
        }
    }

    /// <summary>Whether the runner's reason says something is missing here, rather than that the server is broken.</summary>
    private static bool IsAbsence(string reason) =>
        reason.Contains("not installed", StringComparison.Ordinal)
        || reason.Contains("io_uring_queue_init", StringComparison.Ordinal)
        || reason.Contains("io_uring_register_buf_ring", StringComparison.Ordinal)
        || reason.Contains("--transport", StringComparison.Ordinal);

    private SuiteRun RunOrSkip()
    {
        if (peers.Missing is { } missing)
        {
            Assert.Skip(missing);
        }

        return peers.Run;
    }
}
