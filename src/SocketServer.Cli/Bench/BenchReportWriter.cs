using System.Globalization;
using System.Text.Json;

namespace SocketServer.Cli.Bench;

/// <summary>Writes a <see cref="BenchReport"/> as aligned lines for people, or as one JSON object for scripts.</summary>
internal static class BenchReportWriter
{
    /// <summary>Writes the report as a few aligned lines.</summary>
    /// <param name="report">The report.</param>
    /// <param name="output">Where to write it.</param>
    public static void WriteText(BenchReport report, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(output);
        string pipeline = report.Mode == "pipeline" ? F($", {report.Pipeline} in flight each") : string.Empty;
        string unit = report.Mode == "connrate" ? "connections" : "messages";
        ErrorCounts e = report.Errors;
        LatencyReport l = report.LatencyMicroseconds;
        output.WriteLine(F($"target      {report.Mode} {report.Target}, {report.Connections} {report.Mode switch { "connrate" => "workers", "udp" => "sockets", _ => "connections" }}, {report.Size}-byte messages{pipeline}"));
        output.WriteLine(F($"measured    {report.Seconds:0.000} s after {report.WarmupSeconds:0.###} s of warm-up"));
        output.WriteLine(F($"{unit,-12}{report.Messages} ({report.MessagesPerSecond:0.0}/s)"));
        output.WriteLine(F($"throughput  {report.MibPerSecond:0.000} MiB/s of payload each way"));
        output.WriteLine(F($"errors      {e.Total} (connect {e.Connect}, reset {e.Reset}, mismatch {e.Mismatch}, timeout {e.Timeout}, other {e.Other})"));
        output.WriteLine(F($"latency us  p50 {l.P50:0.0}  p90 {l.P90:0.0}  p99 {l.P99:0.0}  p99.9 {l.P999:0.0}  max {l.Max:0.0}"));
        output.WriteLine(F($"cpu         {report.CpuPercent:0.0}% of one core ({report.CpuSeconds:0.000} s of processor time)"));
        if (report.Idle is { } idle)
        {
            output.WriteLine(F($"idle        {idle.Open} of {idle.Opened} opened connections stayed open"));
        }
    }

    /// <summary>Writes the report as one JSON object on one line.</summary>
    /// <param name="report">The report.</param>
    /// <param name="output">Where to write it.</param>
    public static void WriteJson(BenchReport report, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.WriteLine(JsonSerializer.Serialize(report, BenchJsonContext.Default.BenchReport));
    }

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
