using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace SocketServer.Internal.Forking;

/// <summary>
/// Sends and receives one open descriptor alongside a message over a Unix stream socket (SCM_RIGHTS). .NET has no
/// managed API for it, so this calls libc's sendmsg and recvmsg. The structure layouts are Linux's (64-bit).
/// </summary>
internal static unsafe partial class DescriptorPassing
{
    private const int SolSocket = 1;
    private const int ScmRights = 1;
    private const int MsgCmsgCloexec = 0x40000000;
    private const int Eintr = 4;

    /// <summary>Whether this platform's layout is the one implemented here.</summary>
    public static bool IsSupported => OperatingSystem.IsLinux() && IntPtr.Size == 8;

    /// <summary>Sends all of <paramref name="message"/>, with <paramref name="descriptor"/> attached to its first byte.</summary>
    public static void Send(Socket channel, ReadOnlySpan<byte> message, SafeHandle descriptor)
    {
        bool added = false;
        descriptor.DangerousAddRef(ref added);
        try
        {
            int fd = (int)descriptor.DangerousGetHandle();
            int sent = SendWithDescriptor(channel, message, fd);
            if (sent < message.Length)
            {
                // The descriptor travelled with the first chunk; the rest is plain data.
                channel.Send(message[sent..]);
            }
        }
        finally
        {
            if (added)
            {
                descriptor.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// Receives up to <paramref name="buffer"/>'s length; returns the byte count (0 at end of stream) and the
    /// descriptor that came with them, or -1. A received descriptor is close-on-exec.
    /// </summary>
    public static int Receive(Socket channel, Span<byte> buffer, out int descriptor)
    {
        descriptor = -1;
        byte* control = stackalloc byte[ControlSpace];
        new Span<byte>(control, ControlSpace).Clear();
        fixed (byte* data = buffer)
        {
            var iov = new IoVector { Base = data, Length = (nuint)buffer.Length };
            var header = new MessageHeader { Iov = &iov, IovLength = 1, Control = control, ControlLength = (nuint)ControlSpace };
            long received;
            bool added = false;
            channel.SafeHandle.DangerousAddRef(ref added);
            try
            {
                do
                {
                    received = RecvMsg((int)channel.SafeHandle.DangerousGetHandle(), &header, MsgCmsgCloexec);
                }
                while (received < 0 && Marshal.GetLastPInvokeError() == Eintr);
            }
            finally
            {
                if (added)
                {
                    channel.SafeHandle.DangerousRelease();
                }
            }

            if (received < 0)
            {
                throw new SocketException(Marshal.GetLastPInvokeError());
            }

            var cmsg = (ControlHeader*)control;
            if (header.ControlLength >= (nuint)sizeof(ControlHeader) && cmsg->Level == SolSocket && cmsg->Type == ScmRights)
            {
                descriptor = *(int*)(control + sizeof(ControlHeader));
            }

            return (int)received;
        }
    }

    private static int ControlSpace => sizeof(ControlHeader) + 8; // CMSG_SPACE(sizeof(int)) on 64-bit Linux

    private static int SendWithDescriptor(Socket channel, ReadOnlySpan<byte> message, int fd)
    {
        byte* control = stackalloc byte[ControlSpace];
        new Span<byte>(control, ControlSpace).Clear();
        var cmsg = (ControlHeader*)control;
        cmsg->Length = (nuint)(sizeof(ControlHeader) + sizeof(int));
        cmsg->Level = SolSocket;
        cmsg->Type = ScmRights;
        *(int*)(control + sizeof(ControlHeader)) = fd;
        fixed (byte* data = message)
        {
            var iov = new IoVector { Base = data, Length = (nuint)message.Length };
            var header = new MessageHeader { Iov = &iov, IovLength = 1, Control = control, ControlLength = (nuint)ControlSpace };
            bool added = false;
            channel.SafeHandle.DangerousAddRef(ref added);
            try
            {
                long sent;
                do
                {
                    sent = SendMsg((int)channel.SafeHandle.DangerousGetHandle(), &header, 0);
                }
                while (sent < 0 && Marshal.GetLastPInvokeError() == Eintr);

                return sent < 0 ? throw new SocketException(Marshal.GetLastPInvokeError()) : (int)sent;
            }
            finally
            {
                if (added)
                {
                    channel.SafeHandle.DangerousRelease();
                }
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "sendmsg", SetLastError = true)]
    private static partial long SendMsg(int socket, MessageHeader* message, int flags);

    [LibraryImport("libc", EntryPoint = "recvmsg", SetLastError = true)]
    private static partial long RecvMsg(int socket, MessageHeader* message, int flags);

    [StructLayout(LayoutKind.Sequential)]
    private struct IoVector
    {
        public byte* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MessageHeader
    {
        public void* Name;
        public uint NameLength;
        public IoVector* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct ControlHeader
    {
        public nuint Length;
        public int Level;
        public int Type;
    }
}
