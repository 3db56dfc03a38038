namespace SocketServer.Cli.Bench;

/// <summary>Errors counted by kind; see <see cref="ErrorKind"/>.</summary>
/// <param name="Total">All errors.</param>
/// <param name="Connect">Connections that could not be opened.</param>
/// <param name="Reset">Connections the server reset or closed.</param>
/// <param name="Mismatch">Echoes that differed from what was sent.</param>
/// <param name="Timeout">Replies that did not come in time (lost datagrams).</param>
/// <param name="Other">Other socket errors.</param>
internal sealed record ErrorCounts(long Total, long Connect, long Reset, long Mismatch, long Timeout, long Other)
{
    /// <summary>Builds the counts from totals indexed by <see cref="ErrorKind"/>.</summary>
    /// <param name="byKind">The totals.</param>
    /// <returns>The counts.</returns>
    public static ErrorCounts From(IReadOnlyList<long> byKind) => new(
        byKind.Sum(),
        byKind[(int)ErrorKind.Connect],
        byKind[(int)ErrorKind.Reset],
        byKind[(int)ErrorKind.Mismatch],
        byKind[(int)ErrorKind.Timeout],
        byKind[(int)ErrorKind.Other]);
}
