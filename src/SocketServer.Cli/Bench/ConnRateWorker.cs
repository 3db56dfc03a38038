using System.Diagnostics;
using System.Net.Sockets;

namespace SocketServer.Cli.Bench;

/// <summary>connrate mode: a worker that loops: connect, one round trip, close. Its latency covers all three.</summary>
internal static class ConnRateWorker
{
    /// <summary>Runs one worker until the run ends.</summary>
    /// <param name="state">The run.</param>
    /// <param name="id">The worker's number, which picks its pattern.</param>
    /// <returns>The worker's statistics.</returns>
    public static async Task<WorkerStats> RunAsync(BenchState state, int id)
    {
        WorkerStats stats = state.NewStats();
        int size = state.Options.Size;
        int seed = Pattern.Seed(id);
        byte[] received = new byte[size];
        long offset = 0;
        CancellationToken token = state.Token;
        while (!token.IsCancellationRequested)
        {
            long startedAt = Stopwatch.GetTimestamp();
            using Socket? socket = await SocketIo.ConnectAsync(state, stats).ConfigureAwait(false);
            if (socket is null)
            {
                continue;
            }

            try
            {
                await SocketIo.SendAllAsync(socket, state.Pattern.Slice(seed, offset, size), token).ConfigureAwait(false);
                if (!await SocketIo.ReceiveExactlyAsync(socket, received, token).ConfigureAwait(false))
                {
                    stats.Count(ErrorKind.Reset);
                }
                else if (!state.Pattern.Matches(seed, offset, received))
                {
                    stats.Count(ErrorKind.Mismatch);
                }
                else
                {
                    state.Record(stats, startedAt, Stopwatch.GetTimestamp(), size);
                    socket.Shutdown(SocketShutdown.Both);
                }
            }
            catch (Exception e) when (SocketIo.IsStop(e, token))
            {
            }
            catch (SocketException e)
            {
                stats.Count(SocketIo.Classify(e));
            }

            offset += size;
        }

        return stats;
    }
}
