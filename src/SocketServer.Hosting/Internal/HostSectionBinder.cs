using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace SocketServer.Hosting.Internal;

/// <summary>
/// Binds <see cref="SocketServerHostOptions"/> from the keys beside <c>Servers</c> in the section <c>SocketServer</c>,
/// by hand for the reasons <see cref="ServerSectionBinder"/> gives.
/// </summary>
/// <param name="configuration">The host's configuration; null when the container has none.</param>
internal sealed class HostSectionBinder(IConfiguration? configuration) : IConfigureOptions<SocketServerHostOptions>
{
    /// <inheritdoc/>
    public void Configure(SocketServerHostOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (configuration?.GetSection(SocketServerHostOptions.Section + ":AgentCheck") is not { } agent || !agent.Exists())
        {
            return;
        }

        if (agent.Value is { } value)
        {
            options.AgentCheck = value;
        }
        else
        {
            options.ConfigurationErrors.Add($"{agent.Path}: expected an address such as \"tcp://127.0.0.1:10009\", not a section.");
        }
    }
}
