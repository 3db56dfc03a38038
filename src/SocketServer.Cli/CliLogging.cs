using Microsoft.Extensions.Logging;
using SocketServer.Internal.Diagnostics;

namespace SocketServer.Cli;

/// <summary>
/// The <c>serve</c> command's logging: the library's events at Information and above, one line each
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
    private readonly StandardErrorLogger _logger = new(writer: null, LogLevel.Information);

    /// <summary>Creates the factory the servers log to.</summary>
    /// <returns>The factory.</returns>
    public static ILoggerFactory CreateFactory() => new CliLogging();

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
