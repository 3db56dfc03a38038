namespace SocketServer.Internal.Reactor;

/// <summary>
/// A set of <see cref="EventLoop"/>s, one thread each, handed out round robin. The default size is
/// <see cref="Environment.ProcessorCount"/>, which counts the CPUs the process may run on (its affinity), so a
/// server pinned to one core gets one loop and never switches threads.
/// </summary>
internal sealed class ReactorGroup : IDisposable
{
    private readonly EventLoop[] _loops;

    /// <summary>Creates and starts <paramref name="loopCount"/> loops (default: one per usable CPU).</summary>
    public ReactorGroup(int loopCount = 0, string name = "reactor", Action<Exception>? unhandledException = null)
    {
        if (!ReactorNative.IsSupported)
        {
            throw new PlatformNotSupportedException("The epoll reactor runs on 64-bit Linux only.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(loopCount);
        int count = loopCount == 0 ? Environment.ProcessorCount : loopCount;
        _loops = new EventLoop[count];
        try
        {
            for (int i = 0; i < count; i++)
            {
                _loops[i] = new EventLoop($"{name}-{i}") { UnhandledException = unhandledException };
            }
        }
        catch
        {
            Dispose();
            throw;
        }

        foreach (EventLoop loop in _loops)
        {
            loop.Start();
        }
    }

    /// <summary>The loops, in creation order.</summary>
    public IReadOnlyList<EventLoop> Loops => _loops;

    /// <summary>Stops every loop and waits for its thread.</summary>
    public void Dispose()
    {
        foreach (EventLoop? loop in _loops)
        {
            loop?.Dispose();
        }
    }
}
