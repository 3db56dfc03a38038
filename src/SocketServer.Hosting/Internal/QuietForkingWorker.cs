using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace SocketServer.Hosting.Internal;

/// <summary>
/// In a forking worker (this program started again to serve one request), the console lifetime's status lines
/// ("Application started...") would be printed once per request into the parent's output: they are switched off there.
/// </summary>
internal sealed class QuietForkingWorker : IConfigureOptions<ConsoleLifetimeOptions>
{
    /// <inheritdoc/>
    public void Configure(ConsoleLifetimeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (ForkingWorker.IsWorkerProcess)
        {
            options.SuppressStatusMessages = true;
        }
    }
}
