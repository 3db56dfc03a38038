using System.Net;

namespace SocketServer.Internal;

/// <summary>
/// Formats the reports Python prints for a failed request. Only <see cref="Diagnostics.StandardErrorLogger"/> writes
/// them to standard error.
/// </summary>
internal static class ErrorReport
{
    private static readonly string s_rule = new('-', 40);
    private static readonly Lock s_writeLock = new();

    /// <summary>
    /// Held while a report or a log line is written to standard error, so that a multi-line report is never cut by
    /// another thread's line.
    /// </summary>
    public static Lock WriteLock => s_writeLock;

    /// <summary>Python's <c>handle_error</c> report: a rule, the client, the exception, a rule.</summary>
    public static void Write(TextWriter writer, EndPoint? clientAddress, Exception exception)
    {
        lock (s_writeLock)
        {
            writer.WriteLine(s_rule);
            writer.WriteLine($"Exception occurred during processing of request from {clientAddress}");
            writer.WriteLine(exception.ToString());
            writer.WriteLine(s_rule);
            writer.Flush();
        }
    }

    /// <summary>The report for an exception that escaped a request thread (Python's default excepthook).</summary>
    public static void WriteThreadException(TextWriter writer, EndPoint? clientAddress, Exception exception)
    {
        lock (s_writeLock)
        {
            writer.WriteLine($"Exception in request thread {Thread.CurrentThread.Name} (client {clientAddress}):");
            writer.WriteLine(exception.ToString());
            writer.Flush();
        }
    }
}
