namespace SocketServer.Tests.Infrastructure;

/// <summary>Runs a server's <see cref="BaseServer.ServeForever(TimeSpan?)"/> on a background thread, as CPython's tests do.</summary>
internal sealed class ServerRunner : IDisposable
{
    private readonly Thread _thread;
    private Exception? _failure;

    public ServerRunner(BaseServer server, TimeSpan? pollInterval = null)
    {
        Server = server;
        _thread = new Thread(() =>
        {
            try
            {
                server.ServeForever(pollInterval ?? TimeSpan.FromMilliseconds(10));
            }
            catch (Exception e)
            {
                _failure = e;
            }
        })
        { IsBackground = true, Name = "serve_forever" };
        _thread.Start();
    }

    public BaseServer Server { get; }

    /// <summary>Whether the loop thread is still running (a drain ends it without <see cref="Stop"/>).</summary>
    public bool IsServing => _thread.IsAlive;

    public Exception? Failure => _failure;

    /// <summary>Shuts down, joins the loop thread, closes the server, and rethrows what the loop threw.</summary>
    public void Stop()
    {
        Assert.True(Task.Run(Server.Shutdown).Wait(TestTimeouts.Long), "Shutdown did not return");
        Assert.True(_thread.Join(TestTimeouts.Long), "ServeForever did not return after Shutdown");
        Server.ServerClose();
        if (_failure is not null)
        {
            throw new InvalidOperationException("ServeForever failed", _failure);
        }
    }

    public void Dispose()
    {
        if (_thread.IsAlive)
        {
            Stop();
        }

        Server.ServerClose();
    }
}
