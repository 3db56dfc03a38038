using System.CommandLine;
using SocketServer.Internal.Reactor;

namespace SocketServer.Cli.Bench;

/// <summary>The <c>bench</c> command: <c>bench &lt;pingpong|pipeline|connrate|udp|idle&gt; --target URI</c>.</summary>
internal static class BenchCommand
{
    /// <summary>The largest message: 16 MiB (64 KiB less the headers for udp).</summary>
    private const int MaxSize = 16 * 1024 * 1024;

    private const int MaxDatagram = 65507;

    /// <summary>The longest <c>--duration</c> or <c>--warmup</c>: one day.</summary>
    private const int MaxSeconds = 86400;

    /// <summary>Builds the command and its action.</summary>
    /// <returns>The <c>bench</c> command.</returns>
    public static Command Create()
    {
        Argument<string> mode = new("mode")
        {
            Description = "pingpong: one message in flight per connection; pipeline: --pipeline in flight; connrate: connect, one round trip, close, in a loop; udp: one datagram in flight per socket; idle: hold connections open.",
        };
        OptionValues.OneOf(mode, BenchModes.Names);

        Option<string> target = new("--target")
        {
            Description = "The echo server: tcp://HOST:PORT, udp://HOST:PORT (udp mode) or unix:PATH.",
            HelpName = "URI",
            Required = true,
        };
        Option<int?> connections = OptionValues.OptionalNumber(
            new Option<int?>("--connections", "-c") { Description = "Connections (udp: sockets; connrate: concurrent workers). Default 64, 16 for connrate." },
            1,
            int.MaxValue,
            "a whole number (1 or more)");
        Option<int> size = OptionValues.Number(
            new Option<int>("--size", "-s") { Description = "Message size in bytes.", HelpName = "BYTES", DefaultValueFactory = static _ => 32 },
            1,
            MaxSize,
            $"a number of bytes (1 to {MaxSize})");
        Option<int> pipeline = OptionValues.Number(
            new Option<int>("--pipeline", "-p") { Description = "Messages in flight per connection in pipeline mode.", DefaultValueFactory = static _ => 8 },
            1,
            int.MaxValue,
            "a whole number (1 or more)");
        Option<double> duration = OptionValues.Number(
            new Option<double>("--duration", "-d")
            {
                Description = "Seconds to measure; the run stops by itself after the warm-up and this.",
                HelpName = "SECONDS",
                DefaultValueFactory = static _ => 10,
            },
            0,
            MaxSeconds,
            $"a number of seconds (more than 0, up to {MaxSeconds})",
            minExclusive: true);
        Option<double> warmup = OptionValues.Number(
            new Option<double>("--warmup")
            {
                Description = "Seconds run before measuring starts; not counted.",
                HelpName = "SECONDS",
                DefaultValueFactory = static _ => 1,
            },
            0,
            MaxSeconds,
            $"a number of seconds (0 to {MaxSeconds})");
        Option<long?> maxMessages = OptionValues.OptionalNumber(
            new Option<long?>("--max-messages", "-n") { Description = "Stop after this many measured messages (connections, in connrate mode)." },
            1,
            long.MaxValue,
            "a whole number (1 or more)");
        Option<string> engine = new("--engine")
        {
            Description = "reactor: raw nonblocking sockets on epoll event loops, one per usable CPU (64-bit Linux only, the default there); sockets: .NET async sockets, one task per connection (the default elsewhere).",
        };
        OptionValues.OneOf(engine, "reactor", "sockets");
        Option<bool> json = new("--json")
        {
            Description = "Print the report as one JSON object (see docs/cli.md) instead of text.",
        };
        Option<string> htmlReport = OptionValues.FileName(new("--report")
        {
            Description = "Also write a self-contained HTML page of the run, with charts of throughput and latency, to this file.",
            HelpName = "FILE.html",
        });

        Command command = new("bench", "Load an echo server and report throughput, errors, latency percentiles and the generator's own CPU use. Exit code 4 if any error was counted, 5 if the target did not echo.")
        {
            mode,
            target,
            connections,
            size,
            pipeline,
            duration,
            warmup,
            maxMessages,
            engine,
            json,
            htmlReport,
        };

        command.SetAction(async (parseResult, cancellationToken) =>
        {
            TextWriter output = parseResult.InvocationConfiguration.Output;
            TextWriter error = parseResult.InvocationConfiguration.Error;
            BenchMode benchMode = BenchModes.Parse(parseResult.GetRequiredValue(mode));
            BenchTarget benchTarget;
            try
            {
                benchTarget = BenchTarget.Parse(benchMode, parseResult.GetRequiredValue(target));
            }
            catch (FormatException e)
            {
                await error.WriteLineAsync($"socketserver: {e.Message}").ConfigureAwait(false);
                return ExitCodes.Address;
            }

            int messageSize = parseResult.GetValue(size);
            int depth = parseResult.GetValue(pipeline);
            if (benchMode == BenchMode.Udp && messageSize > MaxDatagram)
            {
                await error.WriteLineAsync($"socketserver: --size must be at most {MaxDatagram} in udp mode.").ConfigureAwait(false);
                return ExitCodes.Usage;
            }

            if (benchMode == BenchMode.Pipeline && (long)messageSize * depth > MaxSize)
            {
                await error.WriteLineAsync($"socketserver: --size times --pipeline must be at most {MaxSize}.").ConfigureAwait(false);
                return ExitCodes.Usage;
            }

            BenchEngine benchEngine = parseResult.GetValue(engine) switch
            {
                "sockets" => BenchEngine.Sockets,
                "reactor" => BenchEngine.Reactor,
                _ => ReactorNative.IsSupported ? BenchEngine.Reactor : BenchEngine.Sockets,
            };
            if (benchEngine == BenchEngine.Reactor && !ReactorNative.IsSupported)
            {
                await error.WriteLineAsync("socketserver: --engine reactor needs 64-bit Linux; use --engine sockets.").ConfigureAwait(false);
                return ExitCodes.Usage;
            }

            BenchOptions options = new(
                benchMode,
                benchTarget,
                parseResult.GetValue(connections) ?? (benchMode == BenchMode.ConnRate ? 16 : 64),
                messageSize,
                depth,
                TimeSpan.FromSeconds(parseResult.GetValue(duration)),
                TimeSpan.FromSeconds(parseResult.GetValue(warmup)),
                parseResult.GetValue(maxMessages),
                benchEngine);
            // Created before the run, so a path that cannot be written fails now rather than after a long run.
            string? reportPath = parseResult.GetValue(htmlReport);
            using FileStream? reportFile = reportPath is null ? null : HtmlReport.Create(reportPath, error);
            if (reportPath is not null && reportFile is null)
            {
                return ExitCodes.Usage;
            }

            BenchReport report;
            using (CancellationTokenSource stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            using (new StopSignals(stop))
            {
                report = await BenchConsole.RunAsync(options, error, stop.Token).ConfigureAwait(false);
            }

            if (parseResult.GetValue(json))
            {
                BenchReportWriter.WriteJson(report, output);
            }
            else
            {
                BenchConsole.WriteText(report, output);
            }

            await output.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            if (reportFile is not null)
            {
                HtmlReport.Write(reportFile, report, options);
            }

            (int exitCode, string? reason) = BenchVerdict.Judge(report);
            if (reason is not null)
            {
                await error.WriteLineAsync($"socketserver: {reason}").ConfigureAwait(false);
                await error.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            }

            return exitCode;
        });
        return command;
    }
}
