using Microsoft.Extensions.Logging;
using SocketServer.Internal.Diagnostics;

namespace SocketServer.Cli;

/// <summary>
/// The <c>serve</c> command's logging: the library's events at Information and above (<c>--log-level</c>), one line each
/// (<c>socketserver: message</c>, as the command's own error lines), written at once to standard error; standard
/// output carries the ready lines and the drain report, which scripts parse.
/// </summary>
/// <remarks>
/// The library's own one-line sink, not Microsoft.Extensions.Logging.Console: that package brings a dozen assemblies
/// (dependency injection, options, configuration), each holding descriptors, and the process must still start and
/// report under <c>ulimit -n 80</c> (DescriptorLimitTests); its background queue would also lose the last lines of a
/// forking worker that exits.
/// </remarks>
internal sealed class CliLogging : ILoggerFactory
{
    private readonly StandardErrorLogger _logger;

    private CliLogging(LogLevel minimumLevel) => _logger = new StandardErrorLogger(writer: null, minimumLevel);

    /// <summary>Creates the factory the servers log to.</summary>
    /// <param name="minimumLevel">The lowest level written (<c>--log-level</c>; Information by default).</param>
    /// <returns>The factory.</returns>
    public static ILoggerFactory CreateFactory(LogLevel minimumLevel = LogLevel.Information) => new CliLogging(minimumLevel);

    /// <summary>The level a <c>--log-level</c> value names (one of <see cref="LevelNames"/>).</summary>
    public static LogLevel ParseLevel(string name) => name switch
    {
        "debug" => LogLevel.Debug,
        "warning" => LogLevel.Warning,
        "error" => LogLevel.Error,
        _ => LogLevel.Information,
    };

    /// <summary>The values <c>--log-level</c> accepts, lowest first.</summary>
    public static string[] LevelNames { get; } = ["debug", "information", "warning", "error"];

    /// <inheritdoc/>
    public ILogger CreateLogger(string categoryName) => _logger;

    /// <inheritdoc/>
    /// <remarks>Providers are not supported: the command's lines have one destination.</remarks>
    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException("The serve command logs to standard error only.");

    /// <inheritdoc/>
    public void Dispose()
    {
    }
}
