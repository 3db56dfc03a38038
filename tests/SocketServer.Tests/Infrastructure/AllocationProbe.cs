namespace SocketServer.Tests.Infrastructure;

/// <summary>Measures the allocations of the thread that runs a handler between its 1,000th and 11,000th message.</summary>
internal sealed class AllocationProbe
{
    public const int FirstMessage = 1000;
    public const int LastMessage = 11000;
    private long _first;

    public long Difference { get; private set; } = -1;

    public void Record(int message)
    {
        if (message == FirstMessage)
        {
            _first = GC.GetAllocatedBytesForCurrentThread();
        }
        else if (message == LastMessage)
        {
            Difference = GC.GetAllocatedBytesForCurrentThread() - _first;
        }
    }
}
