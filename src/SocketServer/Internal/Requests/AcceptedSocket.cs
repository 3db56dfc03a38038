using System.Net.Sockets;
using System.Runtime.InteropServices;
using SocketServer.Internal.Reactor;

namespace SocketServer.Internal.Requests;

/// <summary>
/// An accepted TCP connection as the request of an async session whose request hooks are all the library's own (see
/// <see cref="RequestHooks"/>): the descriptor, and the <see cref="System.Net.Sockets.Socket"/> over it built only
/// when somebody asks for it (<see cref="BaseRequestHandler.Request"/>, STARTTLS, a synchronous handler). Building a
/// <see cref="System.Net.Sockets.Socket"/> from a descriptor costs eight system calls (.NET reads the type, protocol,
/// family, listening state, flags and both addresses back) and about 250 bytes per connection that an echo server
/// never uses.
/// </summary>
/// <remarks>
/// <para>Until the socket is built, this object owns the descriptor; its three operations (shut down, reset on close,
/// close) and the building take one lock, so that a shutdown from another thread (the limits' heartbeat) can never
/// reach a number the kernel already gave to the next connection. Once built, the socket owns the descriptor and
/// every operation goes through it, as for a request accepted as a socket.</para>
/// <para>Not a <see cref="SafeSocketHandle"/>: disposing one directly (rather than through its socket) closes the
/// connection with a reset, which would lose what the peer had not read yet.</para>
/// </remarks>
internal sealed class AcceptedSocket : IDisposable
{
    private const int SolSocket = 1;
    private const int SoLinger = 13;

    private Socket? _socket;
    private bool _closed;

    /// <summary>Takes ownership of the accepted, non-blocking descriptor <paramref name="fd"/>.</summary>
    public AcceptedSocket(int fd) => Fd = fd;

    /// <summary>The descriptor, for the loops (which never outlive the request's end).</summary>
    public int Fd { get; }

    /// <summary>
    /// The connection's state in its server's limits, kept here rather than in the tracker's table of the requests
    /// that are sockets (an entry of 42 B per connection, and the table's growth). Under the tracker's lock.
    /// </summary>
    internal Limits.ConnectionState? TrackedState { get; set; }

    /// <summary>Whether the <see cref="Socket"/> was built (somebody outside the loop may hold the connection).</summary>
    public bool HasSocket => Volatile.Read(ref _socket) is not null;

    /// <summary>The connection as a <see cref="System.Net.Sockets.Socket"/>: built on first use, the same one afterwards.</summary>
    /// <exception cref="ObjectDisposedException">The connection was closed before anybody asked for its socket.</exception>
    public Socket Socket => Volatile.Read(ref _socket) ?? Build();

    /// <summary>The request as a <see cref="System.Net.Sockets.Socket"/>: itself, or an accepted socket's; null for any other request.</summary>
    public static Socket? SocketOf(object request) => request switch
    {
        Socket socket => socket,
        AcceptedSocket accepted => accepted.Socket,
        _ => null,
    };

    /// <summary>Whether <paramref name="request"/> is a stream connection: a stream socket, or an accepted one.</summary>
    public static bool IsStreamConnection(object request) =>
        request is Socket { SocketType: SocketType.Stream } or AcceptedSocket;

    /// <summary>Shuts down a stream request's <paramref name="how"/> side (a <see cref="System.Net.Sockets.Socket"/> or an accepted one).</summary>
    /// <exception cref="SocketException">The system refused (the peer is gone, the socket is not connected).</exception>
    /// <exception cref="ObjectDisposedException">The request was closed.</exception>
    public static void Shutdown(object request, SocketShutdown how)
    {
        if (request is AcceptedSocket accepted)
        {
            accepted.Shutdown(how);
        }
        else
        {
            ((Socket)request).Shutdown(how);
        }
    }

    /// <summary>Makes closing a stream request reset the connection (linger on, zero seconds), for a connection cut by a limit.</summary>
    /// <exception cref="SocketException">The system refused.</exception>
    /// <exception cref="ObjectDisposedException">The request was closed.</exception>
    public static void ResetOnClose(object request)
    {
        if (request is AcceptedSocket accepted)
        {
            accepted.ResetOnClose();
        }
        else
        {
            ((Socket)request).LingerState = new LingerOption(true, 0);
        }
    }

    /// <summary>Closes the connection: through its socket if one was built, else the descriptor itself. Idempotent.</summary>
    public void Dispose()
    {
        Socket? socket;
        lock (this)
        {
            socket = _socket;
            if (socket is null && !_closed)
            {
                _closed = true;
                ReactorNative.Close(Fd);
            }
        }

        socket?.Dispose();
    }

    private Socket Build()
    {
        lock (this)
        {
            if (_socket is { } built)
            {
                return built;
            }

            ObjectDisposedException.ThrowIf(_closed, typeof(Socket));
            var handle = new SafeSocketHandle(Fd, ownsHandle: true);
            Socket socket;
            try
            {
                // Socket's constructor reads the descriptor's properties back (the system calls this class spares).
                socket = new Socket(handle);
            }
            catch
            {
                // The descriptor is still this object's: the handle must not close it (nor its finalizer).
                handle.SetHandleAsInvalid();
                throw;
            }

            Volatile.Write(ref _socket, socket);
            return socket;
        }
    }

    private void Shutdown(SocketShutdown how)
    {
        Socket? socket;
        lock (this)
        {
            socket = _socket;
            if (socket is null)
            {
                ObjectDisposedException.ThrowIf(_closed, typeof(Socket));
                if (ReactorNative.Shutdown(Fd, (int)how) != 0)
                {
                    throw ReactorErrors.Exception("shutdown", Marshal.GetLastPInvokeError());
                }

                return;
            }
        }

        socket.Shutdown(how);
    }

    private unsafe void ResetOnClose()
    {
        Socket? socket;
        lock (this)
        {
            socket = _socket;
            if (socket is null)
            {
                ObjectDisposedException.ThrowIf(_closed, typeof(Socket));
                // struct linger { int l_onoff; int l_linger; }
                int* linger = stackalloc int[2] { 1, 0 };
                if (ReactorNative.SetSockOpt(Fd, SolSocket, SoLinger, linger, sizeof(int) * 2) != 0)
                {
                    throw ReactorErrors.Exception("setsockopt(SO_LINGER)", Marshal.GetLastPInvokeError());
                }

                return;
            }
        }

        socket.LingerState = new LingerOption(true, 0);
    }
}
