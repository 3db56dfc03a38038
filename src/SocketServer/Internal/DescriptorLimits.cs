using System.Globalization;
using System.Runtime.InteropServices;

namespace SocketServer.Internal;

/// <summary>
/// Reads the process's descriptor limit (RLIMIT_NOFILE) without opening a file (there may be none left), and checks
/// before serving that the limit leaves room for connections.
/// </summary>
internal static partial class DescriptorLimits
{
    /// <summary>
    /// Descriptors that must be free before serving starts. Serving the first connection costs more than its socket:
    /// binding and the first requests load assemblies, and the runtime keeps each one it loads open (two descriptors
    /// each). Measured with the CLI under <c>prlimit --nofile</c>, from the count at this check (46 descriptors, 56
    /// with TLS) to the lowest limit that serves two connections one after the other and stops cleanly on SIGTERM:
    /// sync 22, threading 24, async 24, TLS 24, forking 30 (the parent also holds the control listener, the worker's
    /// channel and the process start's pipes). Checked later, at the start of a serve loop, more is already loaded,
    /// so this is conservative there. It stays below 34, so that <c>ulimit -n 80</c> (46 + 34) still serves.
    /// </summary>
    public const int Headroom = 32;

    /// <summary>
    /// Descriptors that must be free when a serve loop starts (<c>ServeForever</c>, <c>ServeAsync</c>): binding has
    /// loaded its share by then (the CLI's process holds about 60 under <c>ulimit -n 80</c>, up from 46 before binding),
    /// so the first requests need about half of <see cref="Headroom"/>. Checking the full headroom there refused
    /// servers that the CLI's own check (before binding) had let through, and that do serve.
    /// </summary>
    public const int ServingHeadroom = 16;

    private const int RlimitNofileLinux = 7;
    private const int RlimitNofileBsd = 8;
    private const ulong Infinity = ulong.MaxValue;

    public static ulong? TryGetSoftLimit()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS() && !OperatingSystem.IsFreeBSD())
        {
            return null;
        }

        int resource = OperatingSystem.IsLinux() ? RlimitNofileLinux : RlimitNofileBsd;
        return GetRLimit(resource, out ResourceLimit limit) == 0 ? limit.Current : null;
    }

    /// <summary>
    /// Throws when the descriptors this process already holds leave fewer than <see cref="Headroom"/> under its soft
    /// limit. Without it the server says it is ready and then fails on its first connection with an
    /// <see cref="OutOfMemoryException"/> or an "Out of memory." abort: how the runtime reports running out of
    /// descriptors while loading an assembly or starting a thread. Linux only (it counts <c>/proc/self/fd</c>);
    /// elsewhere, or with no limit, it does nothing.
    /// </summary>
    /// <param name="headroom">How many must be free: <see cref="Headroom"/> before binding, <see cref="ServingHeadroom"/> when a serve loop starts.</param>
    /// <exception cref="DescriptorLimitException">Too few descriptors are left.</exception>
    public static void EnsureHeadroom(int headroom = Headroom)
    {
        if (!OperatingSystem.IsLinux() || TryGetSoftLimit() is not { } limit || limit == Infinity)
        {
            return;
        }

        long open = CountOpen(limit);
        if ((long)Math.Min(limit, long.MaxValue) - open < headroom)
        {
            throw new DescriptorLimitException(limit, open, headroom);
        }
    }

    /// <summary>How many descriptors this process holds: the entries of <c>/proc/self/fd</c>, less the one listing them.</summary>
    internal static long CountOpen(ulong limit)
    {
        try
        {
            return Directory.EnumerateFileSystemEntries("/proc/self/fd").LongCount() - 1;
        }
        catch (IOException)
        {
            // Listing them needs one more descriptor; failing means every one is taken (EMFILE).
            return (long)Math.Min(limit, long.MaxValue);
        }
    }

    /// <summary>A limit to suggest: the common default of 1024, or twice what the process holds if that is more.</summary>
    internal static long Suggested(long open) => Math.Max(1024, 2 * open);

    /// <summary>The one-line explanation of a refusal: the limit, what is held, what is left, and what to do.</summary>
    internal static string Describe(ulong limit, long open, int headroom) => string.Create(
        CultureInfo.InvariantCulture,
        $"The descriptor limit (ulimit -n) is {limit} and this process already holds {open}, leaving {Math.Max(0, (long)Math.Min(limit, long.MaxValue) - open)} for connections (serving needs at least {headroom}); raise it (ulimit -n {Suggested(open)}) and start again.");

    [LibraryImport("libc", EntryPoint = "getrlimit")]
    private static partial int GetRLimit(int resource, out ResourceLimit limit);

    [StructLayout(LayoutKind.Sequential)]
    private struct ResourceLimit
    {
        public ulong Current;
        public ulong Maximum;
    }
}
