namespace SocketServer.Tests.Infrastructure;

/// <summary>
/// An async datagram echo that measures its thread's (the loop's) allocations between two datagrams, replying from
/// <see cref="AsyncDatagramRequestHandler.Data"/>; <paramref name="reusable"/> opts in to one instance for many datagrams.
/// </summary>
internal sealed class AllocationProbingDatagramHandler(AllocationProbe probe, bool reusable) : AsyncDatagramRequestHandler
{
    private static int s_datagrams;

    protected override bool Reusable => reusable;

    /// <summary>Counts from 1 for each server run; reset between tests.</summary>
    public static void ResetCount() => s_datagrams = 0;

    protected override ValueTask HandleAsync()
    {
        // One loop thread serves every datagram: no race on the count.
        probe.Record(++s_datagrams);
        Reply(Data.Span);
        return default;
    }
}
