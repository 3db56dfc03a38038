using System.ComponentModel;
using System.Runtime.InteropServices;

namespace SocketServer.TestShared;

/// <summary>
/// Waits for a process to exit by its pid, whoever its parent is (a forking worker is not the test's child): a pidfd
/// (<c>pidfd_open(2)</c>, Linux 5.3) becomes readable when the process exits, so the wait is an event, not a poll of
/// <c>/proc</c>. Open it while the process is known to be alive, so a reused pid cannot be mistaken for it.
/// </summary>
internal sealed partial class ProcessExitWatch : IDisposable
{
    private const long PidfdOpenSyscall = 434; // the same number on x86-64 and arm64
    private const short PollIn = 0x001;
    private const int Esrch = 3;
    private const int Eintr = 4;
    private readonly int _pidfd;

    private ProcessExitWatch(int pid, int pidfd)
    {
        Pid = pid;
        _pidfd = pidfd;
    }

    public int Pid { get; }

    /// <summary>Opens a watch on a live process.</summary>
    public static ProcessExitWatch Open(int pid)
    {
        int pidfd = (int)Syscall(PidfdOpenSyscall, pid, 0);
        if (pidfd < 0)
        {
            int error = Marshal.GetLastPInvokeError();
            throw new Win32Exception(error, error == Esrch ? $"process {pid} had already exited" : $"pidfd_open({pid}) failed");
        }

        return new ProcessExitWatch(pid, pidfd);
    }

    /// <summary>Waits until the process has exited, at most <paramref name="deadline"/>; returns whether it has.</summary>
    public unsafe bool WaitForExit(TimeSpan deadline)
    {
        long end = Environment.TickCount64 + (long)deadline.TotalMilliseconds;
        var entry = new PollDescriptor { Descriptor = _pidfd, Events = PollIn };
        while (true)
        {
            int remaining = (int)Math.Max(0, end - Environment.TickCount64);
            int ready = Poll(&entry, 1, remaining);
            if (ready < 0 && Marshal.GetLastPInvokeError() == Eintr)
            {
                continue;
            }

            return ready > 0;
        }
    }

    /// <summary>Whether the process has exited, without waiting.</summary>
    public bool HasExited => WaitForExit(TimeSpan.Zero);

    public void Dispose() => _ = Close(_pidfd);

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, long pid, long flags);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static unsafe partial int Poll(PollDescriptor* descriptors, nuint count, int timeoutMilliseconds);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int descriptor);

    [StructLayout(LayoutKind.Sequential)]
    private struct PollDescriptor
    {
        public int Descriptor;
        public short Events;
        public short Returned;
    }
}
