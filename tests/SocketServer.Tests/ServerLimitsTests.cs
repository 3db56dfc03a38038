using SocketServer.Internal;

namespace SocketServer.Tests;

/// <summary>The defaults of <see cref="ServerLimits"/> and their validation.</summary>
public sealed class ServerLimitsTests
{
    [Fact]
    public void DefaultsFollowTheDocumentedSources()
    {
        var limits = new ServerLimits();
        Assert.Equal(TimeSpan.FromSeconds(130), limits.IdleTimeout);
        Assert.Equal(TimeSpan.FromSeconds(30), limits.FirstUnitTimeout);
        Assert.Equal(240, limits.MinReceiveRate!.BytesPerSecond);
        Assert.Equal(TimeSpan.FromSeconds(5), limits.MinSendRate!.GracePeriod);
        Assert.Equal(65536, limits.MaxLineLength);
        Assert.Null(limits.MaxConnectionsPerClient);
        if (DescriptorLimits.TryGetSoftLimit() is { } descriptors)
        {
            long n = (long)Math.Min(descriptors, int.MaxValue);
            Assert.Equal((int)Math.Max(1, Math.Min(n / 4 * 3, n - 128)), limits.MaxConnections);
        }
    }

    [Fact]
    public void UnlimitedIsPythonsBehaviour()
    {
        var limits = ServerLimits.Unlimited();
        Assert.Null(limits.MaxConnections);
        Assert.Null(limits.IdleTimeout);
        Assert.Null(limits.FirstUnitTimeout);
        Assert.Null(limits.MinReceiveRate);
        Assert.Null(limits.MinSendRate);
        Assert.Null(limits.MaxLineLength);
    }

    [Fact]
    public void NonsenseValuesAreRefused()
    {
        var limits = new ServerLimits();
        Assert.Throws<ArgumentOutOfRangeException>(() => limits.MaxConnections = 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => limits.IdleTimeout = TimeSpan.Zero);
        Assert.Throws<ArgumentOutOfRangeException>(() => limits.MaxLineLength = -1);
        Assert.Throws<ArgumentOutOfRangeException>(() => new MinDataRate(0, TimeSpan.Zero));
    }
}
