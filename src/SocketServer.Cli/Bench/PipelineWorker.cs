using System.Diagnostics;
using System.Net.Sockets;
using System.Threading.Channels;

namespace SocketServer.Cli.Bench;

/// <summary>
/// pipeline mode: one connection with up to P messages in flight. A writer sends a message for every credit; the
/// reader verifies the echo as it streams in and hands a credit back for every complete message.
/// </summary>
internal sealed class PipelineWorker
{
    private readonly BenchState _state;
    private readonly Socket _socket;
    private readonly WorkerStats _stats;
    private readonly int _size;
    private readonly int _depth;
    private readonly int _seed;
    private readonly long[] _sentAt;
    private readonly Channel<bool> _credits = Channel.CreateUnbounded<bool>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private int _failed;

    private PipelineWorker(BenchState state, Socket socket, int id)
    {
        _state = state;
        _socket = socket;
        _stats = state.NewStats();
        _size = state.Options.Size;
        _depth = state.Options.Pipeline;
        _seed = Pattern.Seed(id);
        _sentAt = new long[_depth];
    }

    /// <summary>Runs one connection until the run ends or the connection fails.</summary>
    /// <param name="state">The run.</param>
    /// <param name="id">The connection's number, which picks its pattern.</param>
    /// <returns>The connection's statistics.</returns>
    public static async Task<WorkerStats> RunAsync(BenchState state, int id)
    {
        // Only a failed connect is counted here (no latency), so it needs no histogram of its own.
        WorkerStats connectStats = state.NewStats(histogram: false);
        using Socket? socket = await SocketIo.ConnectAsync(state, connectStats).ConfigureAwait(false);
        if (socket is null)
        {
            return connectStats;
        }

        PipelineWorker worker = new(state, socket, id);
        using CancellationTokenSource connection = CancellationTokenSource.CreateLinkedTokenSource(state.Token);
        for (int i = 0; i < worker._depth; i++)
        {
            worker._credits.Writer.TryWrite(true);
        }

        Task writer = worker.WriteAsync(connection);
        await worker.ReadAsync(connection).ConfigureAwait(false);
        await connection.CancelAsync().ConfigureAwait(false);
        await writer.ConfigureAwait(false);
        return worker._stats;
    }

    private async Task WriteAsync(CancellationTokenSource connection)
    {
        CancellationToken token = connection.Token;
        ChannelReader<bool> credits = _credits.Reader;

        // Completing the channel once on stop, rather than passing the token to every wait, keeps the wait allocation-free.
        using CancellationTokenRegistration complete = token.UnsafeRegister(static c => ((Channel<bool>)c!).Writer.TryComplete(), _credits);
        long sequence = 0;
        try
        {
            while (await credits.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
            {
                int count = 0;
                while (count < _depth && credits.TryRead(out _))
                {
                    count++;
                }

                long now = Stopwatch.GetTimestamp();
                for (int i = 0; i < count; i++)
                {
                    Volatile.Write(ref _sentAt[(sequence + i) % _depth], now);
                }

                // Inline rather than SocketIo.SendAllAsync: a helper's state machine would be allocated per call in Debug builds.
                ReadOnlyMemory<byte> messages = _state.Pattern.Slice(_seed, sequence * _size, count * _size);
                while (!messages.IsEmpty)
                {
                    messages = messages[await _socket.SendAsync(messages, SocketFlags.None, token).ConfigureAwait(false)..];
                }

                sequence += count;
            }
        }
        catch (Exception e) when (SocketIo.IsStop(e, token))
        {
        }
        catch (SocketException e)
        {
            await FailAsync(connection, SocketIo.Classify(e)).ConfigureAwait(false);
        }
    }

    private async Task ReadAsync(CancellationTokenSource connection)
    {
        CancellationToken token = connection.Token;
        byte[] buffer = new byte[_size * _depth];
        long received = 0;
        try
        {
            while (!token.IsCancellationRequested)
            {
                int read = await _socket.ReceiveAsync(buffer, SocketFlags.None, token).ConfigureAwait(false);
                if (read == 0)
                {
                    await FailAsync(connection, ErrorKind.Reset).ConfigureAwait(false);
                    return;
                }

                if (!_state.Pattern.Matches(_seed, received, buffer.AsSpan(0, read)))
                {
                    await FailAsync(connection, ErrorKind.Mismatch).ConfigureAwait(false);
                    return;
                }

                long now = Stopwatch.GetTimestamp();
                long first = received / _size;
                received += read;
                for (long message = first; message < received / _size; message++)
                {
                    _state.Record(_stats, Volatile.Read(ref _sentAt[message % _depth]), now, _size);
                    _credits.Writer.TryWrite(true);
                }
            }
        }
        catch (Exception e) when (SocketIo.IsStop(e, token))
        {
        }
        catch (SocketException e)
        {
            await FailAsync(connection, SocketIo.Classify(e)).ConfigureAwait(false);
        }
    }

    // The writer and the reader can both see a connection fail; it counts once.
    private async Task FailAsync(CancellationTokenSource connection, ErrorKind kind)
    {
        if (Interlocked.Exchange(ref _failed, 1) == 0 && !_state.Token.IsCancellationRequested)
        {
            _stats.Count(kind);
        }

        await connection.CancelAsync().ConfigureAwait(false);
    }
}
