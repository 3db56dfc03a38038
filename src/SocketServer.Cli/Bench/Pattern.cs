namespace SocketServer.Cli.Bench;

/// <summary>
/// The bytes every connection sends: a pseudo-random sequence with a long period, read from a point that
/// depends on the connection (its seed) and on how far into its stream the bytes are (the offset). An echo
/// that comes back reordered, duplicated, truncated or from another connection does not match.
/// </summary>
internal sealed class Pattern
{
    /// <summary>The period of the sequence: a prime, so no message size short of it repeats it.</summary>
    public const int Period = 65521;

    private readonly byte[] _bytes;

    /// <summary>Builds the sequence, long enough for slices of up to <paramref name="maxChunk"/> bytes.</summary>
    /// <param name="maxChunk">The longest slice that will be asked for.</param>
    public Pattern(int maxChunk)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxChunk);
        MaxChunk = maxChunk;
        _bytes = new byte[Period + maxChunk];
        for (int i = 0; i < _bytes.Length; i++)
        {
            uint x = (uint)(i % Period) * 2654435761u;
            _bytes[i] = (byte)((x >> 24) ^ (x >> 11));
        }
    }

    /// <summary>The longest slice available.</summary>
    public int MaxChunk { get; }

    /// <summary>A connection's seed: where its stream starts in the sequence.</summary>
    /// <param name="connection">The connection's number.</param>
    /// <returns>The seed.</returns>
    public static int Seed(int connection) => (int)((uint)connection * 40503u % Period);

    /// <summary>The <paramref name="length"/> bytes at <paramref name="offset"/> in the stream of seed <paramref name="seed"/>.</summary>
    /// <param name="seed">The connection's seed.</param>
    /// <param name="offset">The offset in the connection's stream.</param>
    /// <param name="length">The number of bytes, at most <see cref="MaxChunk"/>.</param>
    /// <returns>The bytes, shared and read-only.</returns>
    public ReadOnlyMemory<byte> Slice(int seed, long offset, int length) =>
        _bytes.AsMemory((int)((seed + offset) % Period), length);

    /// <summary>Whether <paramref name="received"/> is exactly the stream's bytes at <paramref name="offset"/>.</summary>
    /// <param name="seed">The connection's seed.</param>
    /// <param name="offset">The offset in the connection's stream of the first received byte.</param>
    /// <param name="received">The bytes received, at most <see cref="MaxChunk"/>.</param>
    /// <returns><see langword="true"/> if every byte matches.</returns>
    public bool Matches(int seed, long offset, ReadOnlySpan<byte> received) =>
        received.Length <= MaxChunk && received.SequenceEqual(Slice(seed, offset, received.Length).Span);
}
