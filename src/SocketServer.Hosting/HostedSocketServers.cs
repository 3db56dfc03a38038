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

    /// <inheritdoc/>
    public IEnumerator<HostedSocketServer> GetEnumerator() => ((IEnumerable<HostedSocketServer>)Volatile.Read(ref _servers)).GetEnumerator();

    /// <inheritdoc/>
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Publishes the servers the host started.</summary>
    internal void Publish(IEnumerable<HostedSocketServer> servers) => Volatile.Write(ref _servers, [.. servers]);
}
