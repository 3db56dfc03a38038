using System.Runtime.InteropServices;

namespace SocketServer.Internal.Reactor;

/// <summary>
/// The Linux system calls the reactor is made of. Each is a plain <c>[LibraryImport]</c> of libc with no marshalling
/// (ints, pointers), so a call costs the system call and nothing more. Errors are read with
/// <see cref="Marshal.GetLastSystemError"/> right after a call that returned -1, or with
/// <see cref="Marshal.GetLastPInvokeError"/> (what the call saved) when managed code ran in between, as after a
/// wrapper such as <see cref="ReceiveInto"/> returns: errno is the thread's, and the runtime may touch it.
/// </summary>
internal static unsafe partial class ReactorNative
{
    public const int EAgain = 11;
    public const int EIntr = 4;
    public const int EBadF = 9;
    public const int EInval = 22;
    public const int EConnAborted = 103;
    public const int EMFile = 24;
    public const int ENFile = 23;
    public const int ENoBufs = 105;
    public const int ENoMem = 12;

    public const uint EpollIn = 0x001;
    public const uint EpollOut = 0x004;
    public const uint EpollErr = 0x008;
    public const uint EpollHup = 0x010;
    public const uint EpollRdHup = 0x2000;
    public const uint EpollEt = 1u << 31;

    public const int EpollCtlAdd = 1;
    public const int EpollCtlDel = 2;
    public const int EpollCtlMod = 3;

    public const int EpollCloexec = 0x80000;
    public const int EfdCloexec = 0x80000;
    public const int EfdNonblock = 0x800;
    public const int SockNonblock = 0x800;
    public const int SockCloexec = 0x80000;
    public const int ShutWr = 1;
    public const int MsgPeek = 0x2;
    public const int MsgDontWait = 0x40;
    public const int MsgNoSignal = 0x4000;

    /// <summary>The most segments one <c>sendmsg</c> takes here (Linux' IOV_MAX is 1024; 64 covers 256 KiB of 4 KiB segments).</summary>
    public const int MaxIoVectors = 64;

    /// <summary>
    /// The size of <c>struct epoll_event</c>: packed (12 bytes) on x86-64 only, where the kernel ABI kept the
    /// i386 layout; 16 bytes (the 64-bit data aligned) on every other architecture.
    /// </summary>
    public static readonly int EpollEventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;

    /// <summary>Where the 64-bit data field starts in <c>struct epoll_event</c>.</summary>
    public static readonly int EpollDataOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;

    /// <summary>True where the reactor runs: 64-bit Linux.</summary>
    public static bool IsSupported => OperatingSystem.IsLinux() && IntPtr.Size == 8;

    [LibraryImport("libc", EntryPoint = "epoll_create1", SetLastError = true)]
    public static partial int EpollCreate1(int flags);

    [LibraryImport("libc", EntryPoint = "epoll_ctl", SetLastError = true)]
    public static partial int EpollCtl(int epfd, int op, int fd, byte* epollEvent);

    [LibraryImport("libc", EntryPoint = "epoll_wait", SetLastError = true)]
    public static partial int EpollWait(int epfd, byte* events, int maxEvents, int timeout);

    [LibraryImport("libc", EntryPoint = "eventfd", SetLastError = true)]
    public static partial int EventFd(uint initialValue, int flags);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "send", SetLastError = true)]
    public static partial nint Send(int fd, byte* buffer, nuint count, int flags);

    [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
    public static partial nint Recv(int fd, byte* buffer, nuint count, int flags);

    [LibraryImport("libc", EntryPoint = "recvfrom", SetLastError = true)]
    public static partial nint RecvFrom(int fd, byte* buffer, nuint count, int flags, byte* address, uint* addressLength);

    [LibraryImport("libc", EntryPoint = "sendto", SetLastError = true)]
    public static partial nint SendTo(int fd, byte* buffer, nuint count, int flags, byte* address, uint addressLength);

    [LibraryImport("libc", EntryPoint = "accept4", SetLastError = true)]
    public static partial int Accept4(int fd, byte* address, uint* addressLength, int flags);

    [LibraryImport("libc", EntryPoint = "getpeername", SetLastError = true)]
    public static partial int GetPeerName(int fd, byte* address, uint* addressLength);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "shutdown", SetLastError = true)]
    public static partial int Shutdown(int fd, int how);

    /// <summary>One <c>struct iovec</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct IoVector
    {
        /// <summary>The start of the bytes.</summary>
        public byte* Base;

        /// <summary>How many bytes.</summary>
        public nuint Length;
    }
}
