namespace SocketServer;

/// <summary>
/// A minimum data rate enforced after a grace period, as Kestrel's <c>MinDataRate</c>: a peer that moves fewer bytes
/// per second than <see cref="BytesPerSecond"/> once <see cref="GracePeriod"/> has passed loses its connection.
/// </summary>
public sealed class MinDataRate
{
    /// <summary>Creates a rate.</summary>
    /// <param name="bytesPerSecond">The minimum average rate, in bytes per second; more than 0.</param>
    /// <param name="gracePeriod">How long the rate is not checked at first; not negative.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public MinDataRate(double bytesPerSecond, TimeSpan gracePeriod)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytesPerSecond);
        ArgumentOutOfRangeException.ThrowIfLessThan(gracePeriod, TimeSpan.Zero);
        BytesPerSecond = bytesPerSecond;
        GracePeriod = gracePeriod;
    }

    /// <summary>The minimum average rate, in bytes per second.</summary>
    public double BytesPerSecond { get; }

    /// <summary>How long the rate is not checked at first.</summary>
    public TimeSpan GracePeriod { get; }

    /// <summary>Kestrel's default for both directions: 240 bytes per second after a 5-second grace period.</summary>
    /// <returns>A new rate.</returns>
    public static MinDataRate KestrelDefault() => new(240, TimeSpan.FromSeconds(5));

    /// <inheritdoc/>
    public override string ToString() =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{BytesPerSecond:0.###} B/s after {GracePeriod.TotalSeconds:0.###} s");
}
