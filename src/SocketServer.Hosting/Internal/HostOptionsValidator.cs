using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Options;

namespace SocketServer.Hosting.Internal;

/// <summary>Checks <see cref="SocketServerHostOptions"/> when the host starts, one message per problem naming its key.</summary>
internal sealed class HostOptionsValidator : IValidateOptions<SocketServerHostOptions>
{
    private const string AgentKey = SocketServerHostOptions.Section + ":AgentCheck";

    /// <inheritdoc/>
    public ValidateOptionsResult Validate(string? name, SocketServerHostOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        List<string> failures = [.. options.ConfigurationErrors];
        if (options.AgentCheck is { } agent && !TryParseAgent(agent, out _, out string? error))
        {
            failures.Add($"{AgentKey}: '{agent}' is not an agent-check address: {error}");
        }

        if (options.DrainDelay < TimeSpan.Zero || options.DrainDelay > TimeSpan.FromHours(1))
        {
            failures.Add($"{SocketServerHostOptions.Section}:DrainDelay: {options.DrainDelay} is out of range; give 00:00:00 to 01:00:00 (a few times the load balancer's check interval).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Reads the agent's address: <c>tcp://HOST:PORT</c>, or <c>HOST:PORT</c> (HAProxy's agent check is TCP).</summary>
    internal static bool TryParseAgent(string value, [NotNullWhen(true)] out Endpoint? endpoint, [NotNullWhen(false)] out string? error)
    {
        string uri = value.Contains("://", StringComparison.Ordinal) || value.StartsWith("unix", StringComparison.Ordinal) ? value : "tcp://" + value;
        if (!Endpoint.TryParse(uri, out endpoint, out error))
        {
            return false;
        }

        if (endpoint.Kind != EndpointKind.Tcp)
        {
            endpoint = null;
            error = "HAProxy's agent check connects over TCP; write tcp://HOST:PORT.";
            return false;
        }

        return true;
    }
}
