using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SocketServer.Internal.Reactor;

namespace SocketServer.Cli.Bench.Reactor;

/// <summary>
/// A connected UDP socket of the reactor engine with one datagram in flight. A reply that has not come after
/// <see cref="BenchOptions.DatagramTimeout"/> (checked every tick) counts as a timeout and the next datagram is sent;
/// a late echo of one of the last few datagrams is recognised and ignored, as in the sockets engine.
/// </summary>
internal sealed unsafe class DatagramClient : ReactorClient
{
    private static readonly long TimeoutTicks = (long)(BenchOptions.DatagramTimeout.TotalSeconds * Stopwatch.Frequency);

    private readonly byte[] _buffer;
    private readonly byte* _read;
    private long _sequence;
    private long _sentAt;
    private bool _started;
    private bool _awaiting;

    /// <summary>Creates the client of socket <paramref name="id"/>.</summary>
    /// <param name="run">The run.</param>
    /// <param name="loop">Its loop.</param>
    /// <param name="id">Its number.</param>
    /// <param name="stats">Where it counts.</param>
    public DatagramClient(ReactorBench run, EventLoop loop, int id, WorkerStats stats)
        : base(run, loop, id, stats)
    {
        // One byte more than a message, so a longer reply shows as a wrong length.
        _buffer = GC.AllocateUninitializedArray<byte>(Size + 1, pinned: true);
        _read = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_buffer));
    }

    /// <inheritdoc/>
    public override void Execute()
    {
        if (Stopping)
        {
            return;
        }

        if (!_started)
        {
            if (Open(ReactorNative.EpollIn) != 0)
            {
                Count(ErrorKind.Connect);
                End();
                return;
            }

            _started = true;
        }

        SendNext();
    }

    /// <inheritdoc/>
    public override void OnEvents(uint events)
    {
        while (Fd >= 0)
        {
            nint read = ReactorNative.Recv(Fd, _read, (nuint)(Size + 1), 0);
            if (read < 0)
            {
                int errno = Marshal.GetLastSystemError();
                if (errno == ReactorNative.EAgain)
                {
                    return;
                }

                if (errno != ReactorNative.EIntr)
                {
                    // An ICMP error for the datagram in flight (port unreachable: refused): counted, then the next one.
                    Count(Classify(errno));
                    if (_awaiting)
                    {
                        Next();
                    }
                }

                continue;
            }

            if (!_awaiting)
            {
                continue;
            }

            ReadOnlySpan<byte> reply = new(_read, (int)read);
            if (read == Size && State.Pattern.Matches(Seed, _sequence * Size, reply))
            {
                State.Record(Stats, _sentAt, Stopwatch.GetTimestamp(), Size);
                Next();
            }
            else if (!UdpWorker.IsLate(State.Pattern, Seed, _sequence, Size, reply))
            {
                Count(ErrorKind.Mismatch);
                Next();
            }
        }
    }

    /// <inheritdoc/>
    public override void OnTick(long now)
    {
        if (_awaiting && now - _sentAt >= TimeoutTicks)
        {
            Count(ErrorKind.Timeout);
            Next();
        }
    }

    private void Next()
    {
        _awaiting = false;
        _sequence++;
        if (!Stopping)
        {
            SendNext();
        }
    }

    private void SendNext()
    {
        while (true)
        {
            _sentAt = Stopwatch.GetTimestamp();
            nint sent;
            fixed (byte* bytes = PatternBytes(_sequence * Size, Size))
            {
                sent = ReactorNative.Send(Fd, bytes, (nuint)Size, ReactorNative.MsgNoSignal);
            }

            if (sent >= 0)
            {
                _awaiting = true;
                return;
            }

            int errno = Marshal.GetLastSystemError();
            if (errno == ReactorNative.EIntr)
            {
                continue;
            }

            if (errno == ReactorNative.EAgain)
            {
                // No room in the send buffer: the datagram is lost, which the timeout counts.
                _awaiting = true;
                return;
            }

            // Counted; the next datagram goes after the other events of this batch (an error here repeats at once).
            Count(Classify(errno));
            _awaiting = false;
            _sequence++;
            Loop.Post(this);
            return;
        }
    }
}
