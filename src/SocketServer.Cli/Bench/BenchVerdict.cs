namespace SocketServer.Cli.Bench;

/// <summary>What a finished run means for the exit code, and the line that says why when it is not an echo.</summary>
internal static class BenchVerdict
{
    /// <summary>Judges <paramref name="report"/>.</summary>
    /// <param name="report">The finished run.</param>
    /// <returns>
    /// One of <see cref="ExitCodes"/>, and for <see cref="ExitCodes.NotEchoed"/> the line for standard error (without
    /// the <c>socketserver: </c> prefix); <see langword="null"/> otherwise, where the report says it all.
    /// </returns>
    public static (int ExitCode, string? Reason) Judge(BenchReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        // A reply that differs is the strongest sign: whatever else went wrong, the target is not echoing.
        if (report.Errors.Mismatch > 0)
        {
            return (ExitCodes.NotEchoed, $"the replies from {report.Target} did not match what was sent ({report.Errors.Mismatch} mismatched); is it an echo server?");
        }

        if (report.Errors.Total > 0)
        {
            return (ExitCodes.LoadErrors, null);
        }

        // No error and no round trip: the target accepted and stayed silent (it only reads, or waits for something else).
        return report.RoundTrips == 0
            ? (ExitCodes.NotEchoed, $"nothing came back from {report.Target}: not one message made the round trip; is it an echo server?")
            : (ExitCodes.Success, null);
    }
}
