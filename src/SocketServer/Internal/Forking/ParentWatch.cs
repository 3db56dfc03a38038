using System.ComponentModel;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace SocketServer.Internal.Forking;

/// <summary>
/// Ends a worker process the moment its parent is gone, whatever the worker is doing: a handler blocked on an idle
/// client would otherwise keep it alive, re-parented to init, for as long as the client stays. The sign is the
/// control channel: the kernel closes the parent's end when the parent dies, however it dies (SIGKILL included).
/// </summary>
/// <remarks>
/// <para>
/// A background thread waits in <c>poll(2)</c> on its own duplicate of the channel with no requested events, so only
/// POLLHUP and POLLERR wake it: ordinary request messages do not, and neither does the parent's
/// <c>shutdown(SHUT_WR)</c> that retires a busy worker after its last request (that raises POLLRDHUP, which is why
/// POLLRDHUP is not asked for). On a SOCK_SEQPACKET Unix socket POLLHUP means the peer's end was closed.
/// The duplicate (close-on-exec, never closed) keeps the descriptor valid whatever the worker does with its own.
/// </para>
/// <para>
/// The exit is libc's <c>_exit</c>: immediate, with nothing run on the way. <see cref="Environment.Exit"/> would run
/// the process-exit handlers and could hang on what a blocked handler holds; <see cref="Environment.FailFast(string)"/>
/// prints a crash report and aborts. There is nobody left to report to, and the kernel closes the client's
/// connection with the process. Not <c>PR_SET_PDEATHSIG</c>: it fires when the parent <em>thread</em> that started
/// the worker exits, and .NET starts processes from whichever thread asks, possibly a pool thread that later retires.
/// </para>
/// </remarks>
internal static partial class ParentWatch
{
    /// <summary>The worker's exit status when its parent is gone: 128 + SIGHUP, as a hang-up would end it.</summary>
    public const int ParentGoneExitCode = 129;

    private const short PollErr = 0x008;
    private const short PollHup = 0x010;
    private const int FDupFdCloexec = 1030;
    private const int Eintr = 4;

    /// <summary>Starts watching <paramref name="channel"/>, the worker's connection to its parent.</summary>
    public static void Start(Socket channel)
    {
        bool added = false;
        int watched;
        channel.SafeHandle.DangerousAddRef(ref added);
        try
        {
            watched = DuplicateCloseOnExec((int)channel.SafeHandle.DangerousGetHandle(), FDupFdCloexec, 0);
        }
        finally
        {
            if (added)
            {
                channel.SafeHandle.DangerousRelease();
            }
        }

        if (watched < 0)
        {
            // Without the watch this worker could outlive its parent: refuse to serve rather than risk it.
            throw new Win32Exception(Marshal.GetLastPInvokeError(), "Could not duplicate the control channel to watch the parent process.");
        }

        new Thread(() => Watch(watched)) { IsBackground = true, Name = "SocketServer parent watch" }.UnsafeStart();
    }

    private static unsafe void Watch(int descriptor)
    {
        var entry = new PollDescriptor { Descriptor = descriptor, Events = 0 };
        while (true)
        {
            entry.Returned = 0;
            int ready = Poll(&entry, 1, -1);
            if (ready < 0)
            {
                if (Marshal.GetLastPInvokeError() == Eintr)
                {
                    continue;
                }

                // Nothing else can fail on one valid descriptor; the channel's end still ends an idle worker.
                return;
            }

            if ((entry.Returned & (PollHup | PollErr)) != 0)
            {
                Exit(ParentGoneExitCode);
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int DuplicateCloseOnExec(int descriptor, int command, int lowest);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static unsafe partial int Poll(PollDescriptor* descriptors, nuint count, int timeoutMilliseconds);

    [LibraryImport("libc", EntryPoint = "_exit")]
    private static partial void Exit(int status);

    [StructLayout(LayoutKind.Sequential)]
    private struct PollDescriptor
    {
        public int Descriptor;
        public short Events;
        public short Returned;
    }
}
