using System.Runtime.InteropServices;

namespace SocketServer.Internal.IoUring;

/// <summary>
/// The io_uring system calls, made through libc's <c>syscall(2)</c> with their numbers (glibc has no wrappers, and a
/// native library of our own would have to ship per architecture), plus <c>mmap</c> for the rings. The numbers 425,
/// 426 and 427 are the same on every Linux architecture (io_uring came after the syscall tables were unified).
/// Layouts and constants are those of <c>linux/io_uring.h</c>.
/// </summary>
/// <remarks>
/// <c>syscall</c> is variadic in C; on the 64-bit Linux ABIs (x86-64 SysV, AArch64) integer arguments of a variadic
/// call travel exactly as fixed ones, so a fixed 7-argument import is the same call.
/// </remarks>
internal static unsafe partial class IoUringNative
{
    public const long SysSetup = 425;
    public const long SysEnter = 426;
    public const long SysRegister = 427;

    // io_uring_setup flags.
    public const uint SetupCqSize = 1u << 3;
    public const uint SetupSubmitAll = 1u << 7;
    public const uint SetupCoopTaskRun = 1u << 8;
    public const uint SetupSingleIssuer = 1u << 12;
    public const uint SetupDeferTaskRun = 1u << 13;

    // Features the kernel reports.
    public const uint FeatSingleMmap = 1u << 0;
    public const uint FeatNoDrop = 1u << 1;

    // io_uring_enter flags.
    public const uint EnterGetEvents = 1u << 0;

    // io_uring_register opcodes.
    public const uint RegisterProbe = 8;
    public const uint RegisterPbufRing = 22;
    public const uint UnregisterPbufRing = 23;

    // Opcodes.
    public const byte OpNop = 0;
    public const byte OpPollAdd = 6;
    public const byte OpSendMsg = 9;
    public const byte OpAccept = 13;
    public const byte OpAsyncCancel = 14;
    public const byte OpRead = 22;
    public const byte OpSend = 26;
    public const byte OpRecv = 27;

    // sqe->flags.
    public const byte SqeBufferSelect = 1 << 5;

    // sqe->ioprio for accept and recv.
    public const ushort AcceptMultishot = 1 << 0;
    public const ushort RecvMultishot = 1 << 1;

    // sqe->cancel_flags.
    public const uint CancelAll = 1u << 0;
    public const uint CancelAny = 1u << 2;

    // cqe->flags.
    public const uint CqeBuffer = 1u << 0;
    public const uint CqeMore = 1u << 1;
    public const int CqeBufferShift = 16;

    // mmap offsets.
    public const long OffSqRing = 0;
    public const long OffSqes = 0x10000000;

    // struct sizes.
    public const int ParamsSize = 120;
    public const int SqeSize = 64;
    public const int CqeSize = 16;
    public const int BufRegSize = 40;
    public const int BufSize = 16;

    // errno values io_uring returns.
    public const int EPerm = 1;
    public const int EIntr = 4;
    public const int EAgain = 11;
    public const int EBusy = 16;
    public const int EInval = 22;
    public const int ENoSys = 38;
    public const int ENoBufs = 105;
    public const int ECanceled = 125;
    public const int EMFile = 24;
    public const int ENFile = 23;
    public const int EConnAborted = 103;

    public const int ProtRead = 1;
    public const int ProtWrite = 2;
    public const int MapShared = 0x01;
    public const int MapPrivate = 0x02;
    public const int MapAnonymous = 0x20;
    public const int MapPopulate = 0x8000;

    public const uint PollIn = 0x0001;
    public const uint PollRdHup = 0x2000;

    public const int MsgNoSignal = 0x4000;
    public const int MsgDontWait = 0x40;

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, long a1, long a2, long a3, long a4, long a5, long a6);

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    public static partial void* Mmap(void* address, nuint length, int protection, int flags, int fd, long offset);

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    public static partial int Munmap(void* address, nuint length);

    [LibraryImport("libc", EntryPoint = "socketpair", SetLastError = true)]
    public static partial int SocketPair(int domain, int type, int protocol, int* fds);

    /// <summary><c>io_uring_setup(entries, params)</c>: the ring's descriptor, or -1 with errno set.</summary>
    public static int Setup(uint entries, byte* parameters) =>
        (int)Syscall(SysSetup, entries, (long)parameters, 0, 0, 0, 0);

    /// <summary><c>io_uring_enter(fd, toSubmit, minComplete, flags, NULL, 0)</c>.</summary>
    public static int Enter(int fd, uint toSubmit, uint minComplete, uint flags) =>
        (int)Syscall(SysEnter, fd, toSubmit, minComplete, flags, 0, 0);

    /// <summary><c>io_uring_register(fd, opcode, arg, count)</c>.</summary>
    public static int Register(int fd, uint opcode, void* argument, uint count) =>
        (int)Syscall(SysRegister, fd, opcode, (long)argument, count, 0, 0);
}
