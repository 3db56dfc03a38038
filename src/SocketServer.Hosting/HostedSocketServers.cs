using System.Collections;

namespace SocketServer.Hosting;

/// <summary>
/// The servers the host runs, one entry per endpoint, in the order they were added and configured: resolve it from the
/// container to learn the addresses bound (a port of 0 resolved), or to reach a <see cref="BaseServer"/>.
/// </summary>
/// <remarks>Empty until the host has started; the entries stay, closed, once it has stopped.</remarks>
public sealed class HostedSocketServers : IReadOnlyList<HostedSocketServer>
{
    private HostedSocketServer[] _servers = [];
    private AgentCheckServer? _agentCheck;

    internal HostedSocketServers()
    {
    }

    /// <inheritdoc/>
    public int Count => Volatile.Read(ref _servers).Length;

    /// <inheritdoc/>
    public HostedSocketServer this[int index] => Volatile.Read(ref _servers)[index];

    /// <summary>The endpoints of the server added as <paramref name="name"/>, in the order of its configuration.</summary>
    /// <param name="name">The server's name.</param>
    /// <returns>Its endpoints; empty when there is none of that name (or the host has not started).</returns>
    public IReadOnlyList<HostedSocketServer> Named(string name) =>
        [.. Volatile.Read(ref _servers).Where(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase))];

    /// <summary>
    /// The agent check answering for these servers (<see cref="SocketServerHostOptions.AgentCheck"/>), once the host
    /// has started; <see langword="null"/> when none is configured. Set its <see cref="BaseServer.HealthState"/> to
    /// <see cref="HealthState.Maint"/> to take the host out of rotation, to <see cref="HealthState.Up"/> to put it back.
    /// </summary>
    public AgentCheckServer? AgentCheck => Volatile.Read(ref _agentCheck);

    /// <inheritdoc/>
    public IEnumerator<HostedSocketServer> GetEnumerator() => ((IEnumerable<HostedSocketServer>)Volatile.Read(ref _servers)).GetEnumerator();

    /// <inheritdoc/>
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Publishes the servers the host started.</summary>
    internal void Publish(IEnumerable<HostedSocketServer> servers, AgentCheckServer? agentCheck)
    {
        Volatile.Write(ref _servers, [.. servers]);
        Volatile.Write(ref _agentCheck, agentCheck);
    }
}
