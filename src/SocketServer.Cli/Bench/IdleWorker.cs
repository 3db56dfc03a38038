using System.Diagnostics;
using System.Net.Sockets;

namespace SocketServer.Cli.Bench;

/// <summary>
/// idle mode: opens one connection, makes one verified round trip so the server is known to serve it, then holds
/// it without traffic until the run ends. The connection stayed open if the server neither closed nor reset it.
/// </summary>
internal static class IdleWorker
{
    /// <summary>Opens and holds one connection until the run ends.</summary>
    /// <param name="state">The run.</param>
    /// <param name="id">The connection's number, which picks its pattern.</param>
    /// <returns>The connection's statistics; its one round trip is recorded even during the warm-up.</returns>
    public static async Task<WorkerStats> RunAsync(BenchState state, int id)
    {
        WorkerStats stats = state.NewStats(histogram: false);
        using Socket? socket = await SocketIo.ConnectAsync(state, stats).ConfigureAwait(false);
        if (socket is null)
        {
            return stats;
        }

        int size = state.Options.Size;
        int seed = Pattern.Seed(id);
        byte[] received = new byte[size];
        CancellationToken token = state.Token;
        try
        {
            long sentAt = Stopwatch.GetTimestamp();
            await SocketIo.SendAllAsync(socket, state.Pattern.Slice(seed, 0, size), token).ConfigureAwait(false);
            if (!await SocketIo.ReceiveExactlyAsync(socket, received, token).ConfigureAwait(false))
            {
                stats.Count(ErrorKind.Reset);
                return stats;
            }

            if (!state.Pattern.Matches(seed, 0, received))
            {
                stats.Count(ErrorKind.Mismatch);
                return stats;
            }

            stats.Record(Stopwatch.GetTimestamp() - sentAt, size);
            stats.Opened = true;

            // Nothing more is sent, so anything but the run's end is the server closing, resetting or talking.
            int read = await socket.ReceiveAsync(received, SocketFlags.None, token).ConfigureAwait(false);
            stats.Count(read == 0 ? ErrorKind.Reset : ErrorKind.Mismatch);
        }
        catch (Exception e) when (SocketIo.IsStop(e, token))
        {
            stats.StayedOpen = stats.Opened;
        }
        catch (SocketException e)
        {
            stats.Count(SocketIo.Classify(e));
        }

        return stats;
    }
}
