using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace SocketServer.Hosting.Internal;

/// <summary>
/// One endpoint's server while the host runs it: serving (<see cref="BaseServer.ServeAsync"/>, or
/// <see cref="BaseServer.ServeForever()"/> on a thread of its own), then drained and closed when the host stops.
/// </summary>
/// <param name="name">The server's name.</param>
/// <param name="mode">How it serves.</param>
/// <param name="server">The server, bound (or, in a forking worker, built to serve as the worker).</param>
/// <param name="logger">The hosting log.</param>
internal sealed class ServerRun(string name, SocketServerMode mode, TcpServer server, ILogger logger)
{
    private int _stopping;

    /// <summary>The server's name.</summary>
    public string Name => name;

    /// <summary>The server.</summary>
    public TcpServer Server => server;

    /// <summary>The mode as the configuration writes it: <c>async</c>, <c>threading</c>, <c>sync</c>, <c>forking</c>.</summary>
    public string ModeName { get; } = mode.ToString().ToLowerInvariant();

    /// <summary>Completes when the server stopped serving; null before <see cref="Start"/>.</summary>
    public Task? Serving { get; private set; }

    /// <summary>The bound address as a URI, as the command writes it.</summary>
    public string Address => FormatAddress(server);

    /// <summary>The entry for <see cref="HostedSocketServers"/>.</summary>
    public HostedSocketServer Entry => new(name, Address, mode, server);

    /// <summary>Starts serving. When serving stops before the host stops it, <paramref name="failed"/> is told why.</summary>
    /// <param name="failed">Called with the exception that ended serving early (a handler's <see cref="ServerExitException"/>, a hook's failure).</param>
    public void Start(Action<ServerRun, Exception> failed)
    {
        Serving = mode == SocketServerMode.Async ? server.ServeAsync(CancellationToken.None) : ServeForeverOnThread();
        _ = ObserveAsync(Serving, failed);
    }

    /// <summary>Drains the server within <paramref name="grace"/>, closes it and logs what the drain did.</summary>
    /// <param name="grace">How long requests in progress may take to finish.</param>
    /// <param name="cancellationToken">The host's stop token: cancelled, it cuts the drain short.</param>
    /// <returns>A task that completes when the server is closed.</returns>
    public async Task StopAsync(TimeSpan grace, CancellationToken cancellationToken)
    {
        Volatile.Write(ref _stopping, 1);
        string address = Address;
        try
        {
            DrainResult drained = await server.ShutdownAsync(grace, cancellationToken).ConfigureAwait(false);
            if (Serving is { } serving)
            {
                // The drain waited for the serve loop; this only covers a loop that ignored it, bounded by the host.
                await serving.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            logger.Drained(name, address, drained.Completed, drained.ClosedIdle, drained.Aborted, drained.Elapsed.TotalSeconds);
        }
        finally
        {
            Close();
        }
    }

    /// <summary>Closes the server (its socket, and a Unix socket file it created); also stops a loop still running.</summary>
    public void Close()
    {
        try
        {
            server.ServerClose();
        }
        catch (Exception e)
        {
            logger.CloseFailed(name, FormatAddress(server), e);
        }
    }

    private static string FormatAddress(TcpServer server)
    {
        bool datagram = server.SocketType == SocketType.Dgram;
        bool tls = server.Tls is not null;
        return server.ServerAddress switch
        {
            IPEndPoint ip => $"{(datagram ? "udp" : tls ? "tls" : "tcp")}://{ip}",
            // .NET writes an abstract name's leading NUL as '@', as ss(8) and socat do.
            UnixDomainSocketEndPoint unix => $"{(datagram ? "unix-dgram" : tls ? "unix+tls" : "unix")}:{unix}",
            EndPoint other => other.ToString() ?? other.GetType().Name,
        };
    }

    private Task ServeForeverOnThread()
    {
        var served = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                server.ServeForever();
                served.TrySetResult();
            }
            catch (Exception e)
            {
                served.TrySetException(e);
            }
        })
        {
            // A background thread: the host's stop, not this thread, decides when the process ends.
            IsBackground = true,
            Name = $"socketserver {name}",
        };
        thread.Start();
        return served.Task;
    }

    private async Task ObserveAsync(Task serving, Action<ServerRun, Exception> failed)
    {
        try
        {
            await serving.ConfigureAwait(false);
        }
        catch (Exception e) when (Volatile.Read(ref _stopping) == 0)
        {
            failed(this, e);
        }
        catch (Exception)
        {
            // Stopping: the drain and the close report what matters.
        }
    }
}
