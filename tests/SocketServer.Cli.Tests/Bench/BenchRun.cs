using System.CommandLine;
using System.Text.Json;
using SocketServer.Cli.Bench;
using SocketServer.Cli.Tests.Infrastructure;

namespace SocketServer.Cli.Tests.Bench;

/// <summary>The bench command run in the test process, with its output captured.</summary>
internal sealed record BenchRun(int ExitCode, string Stdout, string Stderr)
{
    public static BenchRun Invoke(params string[] arguments)
    {
        using StringWriter output = new();
        using StringWriter error = new();
        ParseResult parsed = BenchCommand.Create().Parse(arguments);
        using CancellationTokenSource bound = new(TestTimeouts.Long);
        Task<int> run = parsed.InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, bound.Token);
        Assert.True(run.Wait(TestTimeouts.Long), "bench did not stop by itself.");
        return new BenchRun(run.Result, output.ToString(), error.ToString());
    }

    /// <summary>The <c>--json</c> report, parsed.</summary>
    public JsonElement Json()
    {
        using JsonDocument document = JsonDocument.Parse(Stdout);
        return document.RootElement.Clone();
    }
}
