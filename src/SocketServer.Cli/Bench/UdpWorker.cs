using System.Diagnostics;
using System.Net.Sockets;

namespace SocketServer.Cli.Bench;

/// <summary>
/// udp mode: one connected datagram socket with one datagram in flight. A reply that does not come within
/// <see cref="BenchOptions.DatagramTimeout"/> counts as a timeout (a loss) and the next datagram is sent.
/// </summary>
internal static class UdpWorker
{
    // How many earlier datagrams a late echo may belong to and still be recognised (and ignored) as late.
    private const int LateWindow = 16;

    /// <summary>Runs one socket until the run ends.</summary>
    /// <param name="state">The run.</param>
    /// <param name="id">The socket's number, which picks its pattern.</param>
    /// <returns>The socket's statistics.</returns>
    public static async Task<WorkerStats> RunAsync(BenchState state, int id)
    {
        WorkerStats stats = state.NewStats();
        int size = state.Options.Size;
        int seed = Pattern.Seed(id);
        CancellationToken token = state.Token;
        using Socket socket = state.Options.Target.CreateSocket();
        try
        {
            await socket.ConnectAsync(state.Options.Target.EndPoint, token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            if (!token.IsCancellationRequested)
            {
                stats.Count(ErrorKind.Connect);
            }

            return stats;
        }

        // One byte more than a message, so a longer reply shows as a wrong length.
        byte[] received = new byte[size + 1];
        CancellationTokenSource timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
        try
        {
            for (long sequence = 0; !token.IsCancellationRequested; sequence++)
            {
                long offset = sequence * size;
                try
                {
                    long sentAt = Stopwatch.GetTimestamp();
                    await socket.SendAsync(state.Pattern.Slice(seed, offset, size), SocketFlags.None, token).ConfigureAwait(false);
                    timeout.CancelAfter(BenchOptions.DatagramTimeout);
                    while (true)
                    {
                        int read = await socket.ReceiveAsync(received, SocketFlags.None, timeout.Token).ConfigureAwait(false);
                        Span<byte> reply = received.AsSpan(0, read);
                        if (read == size && state.Pattern.Matches(seed, offset, reply))
                        {
                            state.Record(stats, sentAt, Stopwatch.GetTimestamp(), size);
                            break;
                        }

                        if (!IsLate(state.Pattern, seed, sequence, size, reply))
                        {
                            stats.Count(ErrorKind.Mismatch);
                            break;
                        }
                    }
                }
                catch (Exception e) when (SocketIo.IsStop(e, token))
                {
                    break;
                }
                catch (OperationCanceledException)
                {
                    stats.Count(ErrorKind.Timeout);
                }
                catch (SocketException e)
                {
                    stats.Count(SocketIo.Classify(e));
                }

                if (!timeout.TryReset())
                {
                    timeout.Dispose();
                    timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
                }
            }
        }
        finally
        {
            timeout.Dispose();
        }

        return stats;
    }

    /// <summary>
    /// Whether <paramref name="reply"/> is an echo of one of the last few datagrams, arriving after its own timeout:
    /// ignored, its loss is already counted.
    /// </summary>
    /// <param name="pattern">The run's pattern.</param>
    /// <param name="seed">The socket's seed.</param>
    /// <param name="sequence">The number of the datagram now in flight.</param>
    /// <param name="size">The datagram size.</param>
    /// <param name="reply">The datagram received.</param>
    /// <returns><see langword="true"/> if it is a late echo.</returns>
    internal static bool IsLate(Pattern pattern, int seed, long sequence, int size, ReadOnlySpan<byte> reply)
    {
        if (reply.Length != size)
        {
            return false;
        }

        for (long earlier = sequence - 1; earlier >= 0 && earlier >= sequence - LateWindow; earlier--)
        {
            if (pattern.Matches(seed, earlier * size, reply))
            {
                return true;
            }
        }

        return false;
    }
}
