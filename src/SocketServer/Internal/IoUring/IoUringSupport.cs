using System.Globalization;
using System.Runtime.InteropServices;
using SocketServer.Internal.Reactor;

namespace SocketServer.Internal.IoUring;

/// <summary>
/// Whether this process can serve on io_uring, and if not why: checked once per process by trying what the transport
/// needs, on a throw-away ring (the kernel's version says little: distributions backport, and seccomp or
/// <c>kernel.io_uring_disabled</c> forbid what the kernel has).
/// </summary>
/// <remarks>
/// The probe creates a ring, asks <c>IORING_REGISTER_PROBE</c> for the operations used (accept, recv, send, sendmsg,
/// read, async cancel), registers a provided-buffer ring (5.19), and receives one byte over a socket pair with a
/// multishot receive (6.0): the completion must carry <c>IORING_CQE_F_MORE</c>. Multishot accept (5.19) is older
/// than multishot receive, so a kernel that passes has both.
/// </remarks>
internal static unsafe class IoUringSupport
{
    private const string DisabledPath = "/proc/sys/kernel/io_uring_disabled";

    private static readonly Lazy<string?> s_unavailableReason = new(Probe);

    /// <summary>Null when io_uring serves here; else one sentence saying why not.</summary>
    public static string? UnavailableReason => s_unavailableReason.Value;

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux() || IntPtr.Size != 8)
        {
            return "io_uring is a 64-bit Linux interface";
        }

        string? disabled = ReadDisabledSetting();
        if (disabled == "2")
        {
            return $"io_uring is disabled on this machine ({DisabledPath} is 2)";
        }

        try
        {
            // A thread of its own: with SINGLE_ISSUER the throw-away ring would otherwise belong to the caller's thread.
            string? reason = null;
            var thread = new Thread(() =>
            {
                try
                {
                    reason = ProbeRing(disabled);
                }
                catch (Exception e)
                {
                    reason = $"probing io_uring failed: {e.Message}";
                }
            })
            { IsBackground = true, Name = "socketserver-uring-probe" };
            thread.Start();
            thread.Join();
            return reason;
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or OutOfMemoryException or ThreadStartException)
        {
            return $"probing io_uring failed: {e.Message}";
        }
    }

    private static string? ReadDisabledSetting()
    {
        try
        {
            return File.Exists(DisabledPath) ? File.ReadAllText(DisabledPath).Trim() : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string? ProbeRing(string? disabled)
    {
        IoUringRing? ring = IoUringRing.TryCreate(8, 16, out int errno);
        if (ring is null)
        {
            return errno switch
            {
                IoUringNative.ENoSys => "io_uring_setup is not available (ENOSYS: a kernel without io_uring, or a seccomp profile that blocks it, as container runtimes' defaults do)",
                IoUringNative.EPerm => disabled == "1"
                    ? $"io_uring_setup was refused (EPERM): {DisabledPath} is 1, which allows only members of kernel.io_uring_group"
                    : "io_uring_setup was refused (EPERM: a seccomp profile or a security module forbids io_uring)",
                _ => string.Create(CultureInfo.InvariantCulture, $"io_uring_setup failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})"),
            };
        }

        using (ring)
        {
            if ((ring.Features & IoUringNative.FeatNoDrop) == 0)
            {
                return "the kernel's io_uring drops completions when full (no IORING_FEAT_NODROP; Linux 5.5+ needed)";
            }

            if (MissingOperation(ring) is { } missing)
            {
                return $"the kernel's io_uring lacks {missing}";
            }

            ProvidedBufferRing buffers;
            try
            {
                buffers = new ProvidedBufferRing(ring, 0, 2, 64);
            }
            catch (System.Net.Sockets.SocketException e)
            {
                return $"the kernel's io_uring has no provided-buffer rings (IORING_REGISTER_PBUF_RING, Linux 5.19+): {e.Message}";
            }

            using (buffers)
            {
                return ProbeMultishotReceive(ring);
            }
        }
    }

    private static string? MissingOperation(IoUringRing ring)
    {
        const int Operations = 64;
        int size = 16 + (Operations * 8);
        byte* probe = stackalloc byte[size];
        new Span<byte>(probe, size).Clear();
        if (IoUringNative.Register(ring.Fd, IoUringNative.RegisterProbe, probe, Operations) < 0)
        {
            return $"IORING_REGISTER_PROBE ({Marshal.GetPInvokeErrorMessage(Marshal.GetLastSystemError())})";
        }

        ReadOnlySpan<(byte Op, string Name)> needed =
        [
            (IoUringNative.OpAccept, "IORING_OP_ACCEPT"),
            (IoUringNative.OpRecv, "IORING_OP_RECV"),
            (IoUringNative.OpSend, "IORING_OP_SEND"),
            (IoUringNative.OpSendMsg, "IORING_OP_SENDMSG"),
            (IoUringNative.OpRead, "IORING_OP_READ"),
            (IoUringNative.OpAsyncCancel, "IORING_OP_ASYNC_CANCEL"),
        ];
        byte opsLength = probe[1];
        foreach ((byte op, string name) in needed)
        {
            byte* entry = probe + 16 + (op * 8);
            if (op >= opsLength || (*(ushort*)(entry + 2) & 1) == 0)
            {
                return name;
            }
        }

        return null;
    }

    /// <summary>One byte over a socket pair, received by a multishot receive into the buffer ring: the completion must say more will come.</summary>
    private static string? ProbeMultishotReceive(IoUringRing ring)
    {
        int* pair = stackalloc int[2];
        if (IoUringNative.SocketPair(ReactorNative.AfUnix, ReactorNative.SockStream | ReactorNative.SockCloexec, 0, pair) != 0)
        {
            return $"probing io_uring failed: socketpair: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastSystemError())}";
        }

        try
        {
            byte one = 1;
            ReactorNative.Write(pair[1], &one, 1);
            byte* sqe = ring.NextSqe();
            IoUringRing.Prepare(sqe, IoUringNative.OpRecv, pair[0], 0, 0, 1);
            IoUringRing.SetFlags(sqe, IoUringNative.SqeBufferSelect);
            IoUringRing.SetIoPriority(sqe, IoUringNative.RecvMultishot);
            IoUringRing.SetBufferGroup(sqe, 0);
            int errno = ring.SubmitAndWait(wait: true);
            if (errno != 0)
            {
                return $"probing io_uring failed: io_uring_enter: {Marshal.GetPInvokeErrorMessage(errno)}";
            }

            ring.CompletionRange(out uint head, out uint tail);
            if (head == tail)
            {
                return "probing io_uring failed: no completion for the probe's receive";
            }

            byte* cqe = ring.Completion(head);
            int result = *(int*)(cqe + 8);
            uint flags = *(uint*)(cqe + 12);
            ring.AdvanceCompletions(head + 1);
            if (result == 1 && (flags & IoUringNative.CqeMore) != 0 && (flags & IoUringNative.CqeBuffer) != 0)
            {
                return null;
            }

            return result < 0
                ? $"the kernel's io_uring has no multishot receive (IORING_RECV_MULTISHOT, Linux 6.0+): {Marshal.GetPInvokeErrorMessage(-result)}"
                : "the kernel's io_uring has no multishot receive (IORING_RECV_MULTISHOT, Linux 6.0+)";
        }
        finally
        {
            // Closing the ring (the caller's using) cancels the receive still armed on pair[0].
            ReactorNative.Close(pair[0]);
            ReactorNative.Close(pair[1]);
        }
    }
}
