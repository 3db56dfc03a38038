using System.Net;
using Microsoft.Extensions.Logging;

namespace SocketServer.Internal.Diagnostics;

/// <summary>
/// The one default sink, used when a server has no <see cref="BaseServer.LoggerFactory"/>: events at
/// <see cref="LogLevel.Warning"/> and above go to standard error as one line each (<c>socketserver: message</c>), and
/// Python's <c>handle_error</c> report is written here too. This is the only place in the library that touches
/// <see cref="Console"/>.
/// </summary>
/// <remarks>
/// An exception is printed as its type and message, on the same line, unless the event is a bug to fix
/// (<see cref="Log.PrintsFullException"/>): then the whole exception follows the line. Writes are serialised with
/// <see cref="ErrorReport.WriteLock"/>, so lines and multi-line reports from several threads never interleave.
/// </remarks>
internal sealed class StandardErrorLogger : ILogger
{
    /// <summary>What every line starts with, so that a person can tell the library's lines from the program's.</summary>
    public const string Prefix = "socketserver: ";

    private readonly TextWriter? _writer;
    private readonly LogLevel _minimumLevel;

    /// <summary>Creates a sink writing events at <paramref name="minimumLevel"/> and above to <paramref name="writer"/>.</summary>
    /// <param name="writer">Where to write; null for <see cref="Console.Error"/> as it is at each write (tests redirect it).</param>
    /// <param name="minimumLevel">The lowest level written (Warning for the default sink; lower in tests).</param>
    internal StandardErrorLogger(TextWriter? writer, LogLevel minimumLevel)
    {
        _writer = writer;
        _minimumLevel = minimumLevel;
    }

    /// <summary>The sink every server without a logger factory shares: Warning and above, to standard error.</summary>
    public static StandardErrorLogger Instance { get; } = new(null, LogLevel.Warning);

    private TextWriter Writer => _writer ?? Console.Error;

    /// <inheritdoc/>
    public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && logLevel >= _minimumLevel;

    /// <inheritdoc/>
    /// <remarks>Scopes are not printed: the library opens none, and one line per event has no room for them.</remarks>
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    /// <inheritdoc/>
    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        if (!IsEnabled(logLevel))
        {
            return;
        }

        string message = OneLine(formatter(state, exception));
        string text = exception switch
        {
            null => Prefix + message,
            _ when Diagnostics.Log.PrintsFullException(eventId) => Prefix + message + Environment.NewLine + exception,
            _ => $"{Prefix}{message} ({exception.GetType().FullName}: {OneLine(exception.Message)})",
        };
        TextWriter writer = Writer;
        lock (ErrorReport.WriteLock)
        {
            writer.WriteLine(text);
            writer.Flush();
        }
    }

    /// <summary>Python's <c>handle_error</c> report (a rule, the client, the exception, a rule): <see cref="BaseServer.HandleError"/>'s default without a logger factory.</summary>
    /// <param name="clientAddress">The client whose request failed.</param>
    /// <param name="exception">What the request threw.</param>
    public void WriteErrorReport(EndPoint? clientAddress, Exception exception) => ErrorReport.Write(Writer, clientAddress, exception);

    /// <summary>The report for an exception that escaped a request thread, with no server at hand to log it (Python's excepthook).</summary>
    /// <param name="clientAddress">The client whose request the thread served.</param>
    /// <param name="exception">What escaped.</param>
    public void WriteThreadException(EndPoint? clientAddress, Exception exception) => ErrorReport.WriteThreadException(Writer, clientAddress, exception);

    private static string OneLine(string text) => text.Contains('\n', StringComparison.Ordinal) ? text.ReplaceLineEndings(" ") : text;
}
