using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace SocketServer.Internal.Reactor;

/// <summary>
/// Turns an errno from the reactor's system calls into the exceptions the rest of the library uses: a
/// <see cref="SocketException"/> with the portable <see cref="SocketError"/> for socket errors (so that
/// <see cref="SocketErrors.IsSocketLevel"/> and callers that test <c>SocketErrorCode</c> work unchanged), wrapped in
/// an <see cref="IOException"/> where a stream would throw one.
/// </summary>
internal static class ReactorErrors
{
    /// <summary>A <see cref="SocketException"/> naming the failed call and the system's message.</summary>
    public static SocketException Exception(string call, int errno) =>
        new ReactorSocketException(ToSocketError(errno), $"{call} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");

    /// <summary>An <see cref="IOException"/> around <see cref="Exception"/>, as a stream reports a failed read or write.</summary>
    public static IOException IOException(string call, int errno)
    {
        SocketException inner = Exception(call, errno);
        return new IOException(inner.Message, inner);
    }

    /// <summary>The portable name of a Linux errno, for the errors a socket reports.</summary>
    public static SocketError ToSocketError(int errno) => errno switch
    {
        104 => SocketError.ConnectionReset,
        32 => SocketError.Shutdown,
        103 => SocketError.ConnectionAborted,
        110 => SocketError.TimedOut,
        111 => SocketError.ConnectionRefused,
        107 => SocketError.NotConnected,
        11 => SocketError.WouldBlock,
        4 => SocketError.Interrupted,
        24 or 23 => SocketError.TooManyOpenSockets,
        105 or 12 => SocketError.NoBufferSpaceAvailable,
        113 => SocketError.HostUnreachable,
        101 => SocketError.NetworkUnreachable,
        90 => SocketError.MessageSize,
        9 => SocketError.OperationAborted,
        22 => SocketError.InvalidArgument,
        _ => SocketError.SocketError,
    };

    /// <summary>A <see cref="SocketException"/> with our own message (the base class would describe the code only).</summary>
    private sealed class ReactorSocketException(SocketError error, string message) : SocketException((int)error)
    {
        public override string Message { get; } = message;
    }
}
