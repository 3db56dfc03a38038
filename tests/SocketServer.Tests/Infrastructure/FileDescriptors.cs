namespace SocketServer.Tests.Infrastructure;

/// <summary>Counts this process's open file descriptors (Linux), to prove nothing leaks.</summary>
internal static class FileDescriptors
{
    public static void SkipUnlessCountable()
    {
        if (!Directory.Exists("/proc/self/fd"))
        {
            Assert.Skip("counting descriptors needs /proc/self/fd (Linux)");
        }
    }

    public static int Count() => Directory.GetFiles("/proc/self/fd").Length;
}
