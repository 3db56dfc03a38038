using System.Diagnostics;
using System.Net.Sockets;

namespace SocketServer.Cli.Bench;

/// <summary>pingpong mode: one connection with one message in flight: send, read the echo, verify, repeat.</summary>
internal static class PingPongWorker
{
    /// <summary>Runs one connection until the run ends or the connection fails.</summary>
    /// <param name="state">The run.</param>
    /// <param name="id">The connection's number, which picks its pattern.</param>
    /// <returns>The connection's statistics.</returns>
    public static async Task<WorkerStats> RunAsync(BenchState state, int id)
    {
        WorkerStats stats = state.NewStats();
        using Socket? socket = await SocketIo.ConnectAsync(state, stats).ConfigureAwait(false);
        if (socket is null)
        {
            return stats;
        }

        int size = state.Options.Size;
        int seed = Pattern.Seed(id);
        byte[] received = new byte[size];
        long offset = 0;
        CancellationToken token = state.Token;
        try
        {
            while (!token.IsCancellationRequested)
            {
                // The socket calls are inline rather than in SocketIo's helpers so the loop allocates nothing, whatever the build.
                long sentAt = Stopwatch.GetTimestamp();
                ReadOnlyMemory<byte> message = state.Pattern.Slice(seed, offset, size);
                while (!message.IsEmpty)
                {
                    message = message[await socket.SendAsync(message, SocketFlags.None, token).ConfigureAwait(false)..];
                }

                int got = 0;
                while (got < size)
                {
                    int read = await socket.ReceiveAsync(received.AsMemory(got), SocketFlags.None, token).ConfigureAwait(false);
                    if (read == 0)
                    {
                        break;
                    }

                    got += read;
                }

                if (got < size)
                {
                    stats.Count(ErrorKind.Reset);
                    break;
                }

                if (!state.Pattern.Matches(seed, offset, received))
                {
                    stats.Count(ErrorKind.Mismatch);
                    break;
                }

                state.Record(stats, sentAt, Stopwatch.GetTimestamp(), size);
                offset += size;
            }
        }
        catch (Exception e) when (SocketIo.IsStop(e, token))
        {
        }
        catch (SocketException e)
        {
            stats.Count(SocketIo.Classify(e));
        }

        return stats;
    }
}
