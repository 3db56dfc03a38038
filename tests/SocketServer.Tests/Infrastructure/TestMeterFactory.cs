using System.Diagnostics.Metrics;

namespace SocketServer.Tests.Infrastructure;

/// <summary>
/// An <see cref="IMeterFactory"/> of its own per test, as a host's is: the server's <c>SocketServer</c> meter comes
/// from here, so a test's collectors see that server's measurements and no other test's.
/// </summary>
internal sealed class TestMeterFactory : IMeterFactory
{
    private readonly List<Meter> _meters = [];

    public Meter Create(MeterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        lock (_meters)
        {
            // A host's factory hands out one meter per name (and version and tags): every server on it shares it.
            Meter? existing = _meters.Find(meter => meter.Name == options.Name && meter.Version == options.Version);
            if (existing is not null)
            {
                return existing;
            }

            var meter = new Meter(options.Name, options.Version, options.Tags, scope: this);
            _meters.Add(meter);
            return meter;
        }
    }

    public void Dispose()
    {
        lock (_meters)
        {
            _meters.ForEach(static meter => meter.Dispose());
            _meters.Clear();
        }
    }
}
