using System.Net;
using System.Net.Sockets;

namespace SocketServer.Internal;

/// <summary>
/// A pair of connected loopback datagram sockets that lets another thread wake a thread blocked in
/// <see cref="Socket.Select(System.Collections.IList, System.Collections.IList, System.Collections.IList, int)"/>: <see cref="Wake"/> sends a byte, which makes <see cref="Socket"/> readable.
/// </summary>
/// <remarks>
/// .NET has no portable eventfd or self-pipe that <see cref="Socket.Select(System.Collections.IList, System.Collections.IList, System.Collections.IList, int)"/> accepts, so a socket pair it is.
/// Both ends are connected to each other, so the kernel drops datagrams from anyone else.
/// </remarks>
internal sealed class LoopWaker : IDisposable
{
    private readonly Socket _sender;
    private readonly byte[] _drainBuffer = new byte[64];
    private int _disposed;

    private LoopWaker(Socket receiver, Socket sender)
    {
        Socket = receiver;
        _sender = sender;
    }

    /// <summary>The end to wait on.</summary>
    public Socket Socket { get; }

    /// <summary>Creates a waker on IPv4 or else IPv6 loopback; null when neither exists (the loop then polls).</summary>
    public static LoopWaker? TryCreate()
    {
        foreach (IPAddress loopback in (ReadOnlySpan<IPAddress>)[IPAddress.Loopback, IPAddress.IPv6Loopback])
        {
            try
            {
                return Create(loopback);
            }
            catch (SocketException)
            {
            }
        }

        return null;
    }

    private static LoopWaker Create(IPAddress loopback)
    {
        var receiver = new Socket(loopback.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        var sender = new Socket(loopback.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            receiver.Bind(new IPEndPoint(loopback, 0));
            sender.Bind(new IPEndPoint(loopback, 0));
            sender.Connect(receiver.LocalEndPoint!);
            receiver.Connect(sender.LocalEndPoint!);
            receiver.Blocking = false;
            sender.Blocking = false;
            return new LoopWaker(receiver, sender);
        }
        catch
        {
            receiver.Dispose();
            sender.Dispose();
            throw;
        }
    }

    /// <summary>Makes <see cref="Socket"/> readable; safe from any thread, even after disposal.</summary>
    public void Wake()
    {
        try
        {
            _sender.Send([1]);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already woken (the buffer is full) or already disposed: either way nothing is left to wake.
        }
    }

    /// <summary>Reads every pending wake-up byte so that the next wait blocks again.</summary>
    public void Drain()
    {
        try
        {
            while (Socket.Available > 0)
            {
                Socket.Receive(_drainBuffer);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Socket.Dispose();
            _sender.Dispose();
        }
    }
}
