using System.Runtime.InteropServices;

namespace SocketServer.Internal;

/// <summary>Reads the process's descriptor limit (RLIMIT_NOFILE) without opening a file: there may be none left.</summary>
internal static partial class DescriptorLimits
{
    private const int RlimitNofileLinux = 7;
    private const int RlimitNofileBsd = 8;

    public static ulong? TryGetSoftLimit()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS() && !OperatingSystem.IsFreeBSD())
        {
            return null;
        }

        int resource = OperatingSystem.IsLinux() ? RlimitNofileLinux : RlimitNofileBsd;
        return GetRLimit(resource, out ResourceLimit limit) == 0 ? limit.Current : null;
    }

    [LibraryImport("libc", EntryPoint = "getrlimit")]
    private static partial int GetRLimit(int resource, out ResourceLimit limit);

    [StructLayout(LayoutKind.Sequential)]
    private struct ResourceLimit
    {
        public ulong Current;
        public ulong Maximum;
    }
}
