using SocketServer.Internal;

namespace SocketServer;

/// <summary>
/// The process's descriptor limit (<c>ulimit -n</c>, RLIMIT_NOFILE) leaves too few descriptors for serving: the .NET
/// runtime itself holds about 64, and loads more on the first connection. Thrown before serving starts, so a server
/// never reports it is ready and then fails on its first client. The message names the limit, what the process
/// holds, and a limit to raise it to.
/// </summary>
/// <remarks>
/// It is an <see cref="InvalidOperationException"/>, not an <see cref="IOException"/>: no I/O failed, and code that
/// treats I/O failures as transient (as the serve loop does with a failed accept) must not take it for one.
/// </remarks>
public sealed class DescriptorLimitException : InvalidOperationException
{
    internal DescriptorLimitException(ulong limit, long open, int headroom)
        : base(DescriptorLimits.Describe(limit, open, headroom))
    {
        Limit = limit;
        Open = open;
        Required = headroom;
    }

    /// <summary>The soft descriptor limit of the process.</summary>
    public ulong Limit { get; }

    /// <summary>How many descriptors the process held when it was checked.</summary>
    public long Open { get; }

    /// <summary>How many free descriptors serving needs before it starts.</summary>
    public int Required { get; }
}
