using System.Globalization;
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
        if (configuration is null)
        {
            return;
        }

        IConfigurationSection agent = configuration.GetSection(SocketServerHostOptions.Section + ":AgentCheck");
        if (agent.Exists())
        {
            if (agent.Value is { } value)
            {
                options.AgentCheck = value;
            }
            else
            {
                options.ConfigurationErrors.Add($"{agent.Path}: expected an address such as \"tcp://127.0.0.1:10009\", not a section.");
            }
        }

        IConfigurationSection delay = configuration.GetSection(SocketServerHostOptions.Section + ":DrainDelay");
        if (delay.Value is { } text)
        {
            // A bare number is refused, as for the servers' time spans: TimeSpan reads "2" as two days.
            if (text.Contains(':', StringComparison.Ordinal) && TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out TimeSpan parsed))
            {
                options.DrainDelay = parsed;
            }
            else
            {
                options.ConfigurationErrors.Add($"{delay.Path}: '{text}' is not a time span; write it as hh:mm:ss, as \"00:00:02\".");
            }
        }
    }
}
