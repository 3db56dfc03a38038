using System.Net;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SocketServer.Internal.Requests;

namespace SocketServer.Internal.Reactor;

/// <summary>
/// A datagram server's socket on the reactor: datagrams received in batches (<c>recvmmsg</c>) straight into pooled
/// requests' pinned buffers, each run through the request pipeline on the loop, and the replies the handlers made
/// meanwhile sent in order with one <c>sendmmsg</c> after the batch. Nothing is allocated per datagram: the requests
/// and their hand-offs are pooled (<see cref="DatagramPool"/>), the client <see cref="EndPoint"/>s cached by raw
/// address (<see cref="ClientAddressCache"/>), replies addressed with the raw bytes received.
/// </summary>
/// <remarks>
/// Loop 0's thread only, except <see cref="Reply"/> (any thread) and <see cref="Dispose"/> (after the loops stopped).
/// </remarks>
internal sealed unsafe class ReactorDatagramPort : IDatagramReplies, IDisposable
{
    /// <summary>Datagrams received per loop turn before the loop's other work runs (the rest waits for the next turn).</summary>
    public const int FairnessBound = 256;

    /// <summary>The most replies one <c>sendmmsg</c> carries.</summary>
    public const int SendSlots = 64;

    /// <summary>Room for the batch's queued replies; a bigger reply flushes the queue and is sent on its own.</summary>
    public const int SendArenaSize = 64 * 1024;

    private const int ReceiveBudget = 256 * 1024;
    private const int MaxBatch = 32;

    private readonly ReactorServeSession _session;
    private readonly BaseServer _server;
    private readonly EventLoop _loop;
    private readonly int _fd;
    private readonly int _batch;
    private readonly int _packetSize;
    private readonly DatagramRequest[] _slots;
    private readonly ReactorNative.MMsgHdr* _receiveHeaders;
    private readonly ReactorNative.IoVector* _receiveVectors;
    private readonly byte* _receiveNames;
    private readonly ReactorNative.MMsgHdr* _sendHeaders;
    private readonly ReactorNative.IoVector* _sendVectors;
    private readonly byte* _sendNames;
    private readonly byte* _sendArena;
    private readonly IReactorWork _again;
    private int _sendCount;
    private int _arenaUsed;
    private bool _inBatch;
    private bool _disposed;

    /// <summary>The port of <paramref name="session"/>'s datagram server, on <paramref name="loop"/>; datagrams cut at <paramref name="packetSize"/> bytes.</summary>
    public ReactorDatagramPort(ReactorServeSession session, BaseServer server, EventLoop loop, int fd, int packetSize)
    {
        _session = session;
        _server = server;
        _loop = loop;
        _fd = fd;
        _packetSize = packetSize;
        // 32 datagrams per call at the default 8 KiB, fewer for bigger packets: each slot is a whole packet's buffer.
        _batch = Math.Clamp(ReceiveBudget / Math.Max(packetSize, 1), 4, MaxBatch);
        Pool = new DatagramPool(server.Socket, Math.Max(packetSize, 1), capacity: 2 * _batch, this);
        Addresses = new ClientAddressCache(server.ServerAddress);
        _again = new ReceiveWork(this);
        _slots = new DatagramRequest[_batch];
        _receiveHeaders = (ReactorNative.MMsgHdr*)NativeMemory.AllocZeroed((nuint)(_batch * sizeof(ReactorNative.MMsgHdr)));
        _receiveVectors = (ReactorNative.IoVector*)NativeMemory.AllocZeroed((nuint)(_batch * sizeof(ReactorNative.IoVector)));
        _receiveNames = (byte*)NativeMemory.AllocZeroed((nuint)(_batch * ReactorNative.SocketAddressStorage));
        _sendHeaders = (ReactorNative.MMsgHdr*)NativeMemory.AllocZeroed((nuint)(SendSlots * sizeof(ReactorNative.MMsgHdr)));
        _sendVectors = (ReactorNative.IoVector*)NativeMemory.AllocZeroed((nuint)(SendSlots * sizeof(ReactorNative.IoVector)));
        _sendNames = (byte*)NativeMemory.AllocZeroed((nuint)(SendSlots * ReactorNative.SocketAddressStorage));
        _sendArena = (byte*)NativeMemory.Alloc(SendArenaSize);
        for (int i = 0; i < _batch; i++)
        {
            _receiveHeaders[i].Vectors = _receiveVectors + i;
            _receiveHeaders[i].VectorCount = 1;
            _receiveHeaders[i].Name = _receiveNames + (i * ReactorNative.SocketAddressStorage);
            Fill(i);
        }

        for (int i = 0; i < SendSlots; i++)
        {
            _sendHeaders[i].Vectors = _sendVectors + i;
            _sendHeaders[i].VectorCount = 1;
            _sendHeaders[i].Name = _sendNames + (i * ReactorNative.SocketAddressStorage);
        }
    }

    /// <summary>The requests, their hand-offs and the reusable handlers.</summary>
    public DatagramPool Pool { get; }

    /// <summary>The client addresses of recent senders.</summary>
    public ClientAddressCache Addresses { get; }

    /// <summary>How many datagrams one <c>recvmmsg</c> asks for.</summary>
    public int BatchSize => _batch;

    /// <summary>
    /// Receives what is waiting (edge-triggered: until the kernel has no more, or <see cref="FairnessBound"/> datagrams,
    /// after which the rest is taken after the loop's other work) and runs each datagram through the server's hooks.
    /// </summary>
    public void ReceiveAvailable()
    {
        int received = 0;
        while (!_session.IsStopping)
        {
            if (received >= FairnessBound)
            {
                _loop.Post(_again);
                return;
            }

            for (int i = 0; i < _batch; i++)
            {
                _receiveHeaders[i].NameLength = ReactorNative.SocketAddressStorage;
            }

            int count = ReactorNative.RecvMMsg(_fd, _receiveHeaders, (uint)_batch, ReactorNative.MsgDontWait, null);
            if (count < 0)
            {
                int errno = Marshal.GetLastSystemError();
                if (errno is ReactorNative.EAgain or ReactorNative.EBadF)
                {
                    return;
                }

                // EINTR, or an error the socket reported (ICMP): as a failed GetRequest, no request.
                received++;
                continue;
            }

            Serve(count);
            received += count;
            if (count < _batch)
            {
                // The kernel stopped short: the queue was empty (a later datagram is a new edge). An error after the
                // first datagram is kept for the next call, and such errors (sk_err) come with a wake-up of their own.
                return;
            }
        }
    }

    /// <inheritdoc/>
    public void Reply(DatagramRequest request, ReadOnlySpan<byte> datagram)
    {
        if (_inBatch && _loop.IsOnLoopThread)
        {
            Queue(request, datagram);
            return;
        }

        // Off the loop, or after the batch (a handler's continuation): at once, as a blocking-free SendTo; the socket
        // throws WouldBlock when it cannot take the datagram, and ObjectDisposedException once the server closed.
        int sent = request.Socket.SendTo(datagram, System.Net.Sockets.SocketFlags.None, request.Address!);
        _server.Diagnostics.Traffic.DatagramSent(sent);
    }

    /// <summary>Frees the native memory; after the loops stopped.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        NativeMemory.Free(_receiveHeaders);
        NativeMemory.Free(_receiveVectors);
        NativeMemory.Free(_receiveNames);
        NativeMemory.Free(_sendHeaders);
        NativeMemory.Free(_sendVectors);
        NativeMemory.Free(_sendNames);
        NativeMemory.Free(_sendArena);
    }

    /// <summary>Serves the batch's <paramref name="count"/> datagrams, then sends their replies.</summary>
    private void Serve(int count)
    {
        _inBatch = true;
        try
        {
            for (int i = 0; i < count; i++)
            {
                DatagramRequest request = _slots[i];
                // The slot gets a free request before this one goes: it may outlive the batch (a handler still running).
                Fill(i);
                if (_session.IsStopping)
                {
                    // Received but no longer served: as a datagram that came after the stop.
                    request.Received(0);
                    request.Release();
                    continue;
                }

                ref ReactorNative.MMsgHdr header = ref _receiveHeaders[i];
                int length = (int)header.Length;
                SocketAddress address = request.Address!;
                int addressLength = (int)Math.Min(header.NameLength, (uint)address.Buffer.Length);
                new ReadOnlySpan<byte>(header.Name, addressLength).CopyTo(address.Buffer.Span);
                address.Size = addressLength;
                request.Received(length);
                _server.Diagnostics.Traffic.DatagramReceived(length);
                _session.AcceptDatagram(request, Addresses.Find(address));
            }
        }
        finally
        {
            _inBatch = false;
            Flush();
        }
    }

    /// <summary>Gives slot <paramref name="index"/> a free request to receive into.</summary>
    private void Fill(int index)
    {
        DatagramRequest request = Pool.Rent();
        _slots[index] = request;
        _receiveVectors[index].Base = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(request.Buffer));
        _receiveVectors[index].Length = (nuint)_packetSize;
    }

    /// <summary>Queues a reply made on the loop during a batch, after the ones before it.</summary>
    private void Queue(DatagramRequest request, ReadOnlySpan<byte> datagram)
    {
        if (_sendCount == SendSlots || datagram.Length > SendArenaSize - _arenaUsed)
        {
            Flush();
        }

        SocketAddress address = request.Address!;
        if (datagram.Length > SendArenaSize)
        {
            // Bigger than the whole queue: sent on its own, after the ones queued before it (flushed above).
            fixed (byte* bytes = datagram)
            fixed (byte* name = address.Buffer.Span)
            {
                nint sent = ReactorNative.SendTo(_fd, bytes, (nuint)datagram.Length, ReactorNative.MsgDontWait, name, (uint)address.Size);
                if (sent < 0)
                {
                    Dropped(1, Marshal.GetLastSystemError());
                }
                else
                {
                    _server.Diagnostics.Traffic.DatagramSent((int)sent);
                }
            }

            return;
        }

        int slot = _sendCount++;
        byte* target = _sendArena + _arenaUsed;
        datagram.CopyTo(new Span<byte>(target, datagram.Length));
        _arenaUsed += datagram.Length;
        ref ReactorNative.MMsgHdr header = ref _sendHeaders[slot];
        address.Buffer.Span[..address.Size].CopyTo(new Span<byte>(header.Name, ReactorNative.SocketAddressStorage));
        header.NameLength = (uint)address.Size;
        _sendVectors[slot].Base = target;
        _sendVectors[slot].Length = (nuint)datagram.Length;
    }

    /// <summary>Sends the queued replies, in order: one <c>sendmmsg</c> when the socket takes them all.</summary>
    private void Flush()
    {
        int next = 0;
        while (next < _sendCount)
        {
            int sent = ReactorNative.SendMMsg(_fd, _sendHeaders + next, (uint)(_sendCount - next), ReactorNative.MsgDontWait);
            if (sent > 0)
            {
                for (int i = next; i < next + sent; i++)
                {
                    _server.Diagnostics.Traffic.DatagramSent((int)_sendHeaders[i].Length);
                }

                next += sent;
                continue;
            }

            int errno = Marshal.GetLastSystemError();
            if (errno == ReactorNative.EIntr)
            {
                continue;
            }

            if (errno is ReactorNative.EAgain or ReactorNative.ENoBufs or ReactorNative.EBadF)
            {
                // The send buffer is full (or the socket closed): the rest would fail the same way; UDP may drop them.
                Dropped(_sendCount - next, errno);
                break;
            }

            // This datagram failed on its own (too big, no route...): dropped, and the next ones tried.
            Dropped(1, errno);
            next++;
        }

        _sendCount = 0;
        _arenaUsed = 0;
    }

    private void Dropped(int count, int errno) =>
        _server.Diagnostics.DatagramRepliesDropped(count, ReactorErrors.ToSocketError(errno).ToString(), $"{Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");

    private sealed class ReceiveWork(ReactorDatagramPort port) : IReactorWork
    {
        public void Execute() => port.ReceiveAvailable();
    }
}
