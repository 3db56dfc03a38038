using System.Net.Sockets;
using SocketServer.Internal;

namespace SocketServer.Internal.Unix;

/// <summary>Keeps a Unix socket's file on disk after the server closes, as Python does.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA1816", Justification = "The binding socket must never run its unlinking clean-up; its handle lives on in the serving socket.")]
internal static class UnixSocketFile
{
    /// <summary>
    /// Returns a socket over the same handle as <paramref name="bound"/> that will not delete the socket file when
    /// disposed. .NET unlinks the file when the <see cref="Socket"/> object that bound it is disposed; Python never
    /// does (SPEC: the Unix servers never unlink by default). The binding object is left undisposed and its
    /// finaliser suppressed; the handle they share is closed through the returned socket.
    /// </summary>
    public static Socket Detach(Socket bound)
    {
        var serving = new Socket(bound.SafeHandle);
        GC.SuppressFinalize(bound);
        return serving;
    }
}
