using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace SocketServer.Cli.Bench;

/// <summary>The socket calls the workers share: whole sends and exact reads, pooled so the hot loop does not allocate.</summary>
internal static class SocketIo
{
    /// <summary>Sends every byte of <paramref name="data"/>.</summary>
    /// <param name="socket">A connected stream socket.</param>
    /// <param name="data">The bytes.</param>
    /// <param name="token">Stops the send.</param>
    /// <returns>A task that completes when every byte is sent.</returns>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public static async ValueTask SendAllAsync(Socket socket, ReadOnlyMemory<byte> data, CancellationToken token)
    {
        while (!data.IsEmpty)
        {
            int sent = await socket.SendAsync(data, SocketFlags.None, token).ConfigureAwait(false);
            data = data[sent..];
        }
    }

    /// <summary>Fills <paramref name="buffer"/> from the socket.</summary>
    /// <param name="socket">A connected stream socket.</param>
    /// <param name="buffer">The bytes to fill.</param>
    /// <param name="token">Stops the read.</param>
    /// <returns><see langword="false"/> if the peer closed the connection first.</returns>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public static async ValueTask<bool> ReceiveExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken token)
    {
        while (!buffer.IsEmpty)
        {
            int read = await socket.ReceiveAsync(buffer, SocketFlags.None, token).ConfigureAwait(false);
            if (read == 0)
            {
                return false;
            }

            buffer = buffer[read..];
        }

        return true;
    }

    /// <summary>Opens a connection to the target, or counts a connect error.</summary>
    /// <param name="state">The run.</param>
    /// <param name="stats">Where to count the error.</param>
    /// <returns>The connected socket, or <see langword="null"/> if the connection failed or the run ended.</returns>
    public static async Task<Socket?> ConnectAsync(BenchState state, WorkerStats stats)
    {
        Socket socket = state.Options.Target.CreateSocket();
        try
        {
            await socket.ConnectAsync(state.Options.Target.EndPoint, state.Token).ConfigureAwait(false);
            return socket;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            socket.Dispose();
            if (!state.Token.IsCancellationRequested)
            {
                stats.Count(ErrorKind.Connect);
            }

            return null;
        }
    }

    /// <summary>The kind of error a failed socket call counts as.</summary>
    /// <param name="exception">The failure.</param>
    /// <returns>Its kind.</returns>
    public static ErrorKind Classify(SocketException exception) => Classify(exception.SocketErrorCode);

    /// <summary>The kind of error a socket error code counts as.</summary>
    /// <param name="error">The portable error code.</param>
    /// <returns>Its kind.</returns>
    public static ErrorKind Classify(SocketError error) => error switch
    {
        SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown or SocketError.NotConnected => ErrorKind.Reset,
        SocketError.ConnectionRefused or SocketError.HostUnreachable or SocketError.NetworkUnreachable => ErrorKind.Connect,
        SocketError.TimedOut => ErrorKind.Timeout,
        _ => ErrorKind.Other,
    };

    /// <summary>Whether <paramref name="exception"/> is how a socket call ends when the run is stopped.</summary>
    /// <param name="exception">The failure.</param>
    /// <param name="token">The run's (or connection's) token.</param>
    /// <returns><see langword="true"/> if the token was cancelled and the exception is the cancellation's.</returns>
    public static bool IsStop(Exception exception, CancellationToken token) =>
        token.IsCancellationRequested && exception is OperationCanceledException or SocketException or ObjectDisposedException;
}
