using System.Buffers;
using System.Collections.Concurrent;

namespace SocketServer.Tests.Infrastructure;

/// <summary>
/// The matrix tests' line protocol, served the same way by a synchronous and an async handler
/// (<see cref="ProbeLineHandler"/>, <see cref="AsyncProbeLineHandler"/>), and what those handlers saw: each line is
/// echoed; "boom" throws an ordinary exception; "hold" is echoed only once the test calls <see cref="Release"/>.
/// </summary>
internal sealed class HandlerProbe : IDisposable
{
    private readonly ConcurrentQueue<Exception> _failures = new();
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _failed = new(0);
    private readonly SemaphoreSlim _sawEnd = new(0);
    private readonly SemaphoreSlim _holding = new(0);
    private int _created;

    /// <summary>How many handlers the factory built.</summary>
    public int Created => Volatile.Read(ref _created);

    /// <summary>The exceptions that ended a handler (it rethrew each).</summary>
    public IReadOnlyList<Exception> Failures => [.. _failures];

    /// <summary>Completes when the test lets "hold" be answered.</summary>
    public Task Released => _released.Task;

    public Func<BaseRequestHandler> Factory(HandlerShape shape) => () =>
    {
        Interlocked.Increment(ref _created);
        return shape == HandlerShape.Sync ? new ProbeLineHandler(this) : new AsyncProbeLineHandler(this);
    };

    public void Release() => _released.TrySetResult();

    public void Failed(Exception e)
    {
        _failures.Enqueue(e);
        _failed.Release();
    }

    public void SawEnd() => _sawEnd.Release();

    public void Holding() => _holding.Release();

    /// <summary>Waits until a handler has ended with an exception.</summary>
    public void WaitForFailure() => Assert.True(_failed.Wait(TestTimeouts.Long), "no handler failed");

    /// <summary>Waits until a handler has read the end of its stream.</summary>
    public void WaitForEnd() => Assert.True(_sawEnd.Wait(TestTimeouts.Long), "no handler read the end of its stream");

    /// <summary>Waits until a handler holds a "hold" line.</summary>
    public void WaitForHolding() => Assert.True(_holding.Wait(TestTimeouts.Long), "no handler received \"hold\"");

    public void Dispose()
    {
        // After a failed test a handler may still hold "hold": let it go rather than wait out its bound.
        Release();
        _failed.Dispose();
        _sawEnd.Dispose();
        _holding.Dispose();
    }
}

/// <summary>The matrix protocol with <see cref="SocketReader.ReadLine"/>.</summary>
internal sealed class ProbeLineHandler(HandlerProbe probe) : StreamRequestHandler
{
    protected override void Handle()
    {
        try
        {
            byte[] line;
            while ((line = RFile.ReadLine()).Length > 0)
            {
                switch (System.Text.Encoding.ASCII.GetString(line))
                {
                    case "boom\n":
                        throw new InvalidOperationException("boom");
                    case "hold\n":
                        probe.Holding();
                        Assert.True(probe.Released.Wait(TestTimeouts.Long), "the test never released \"hold\"");
                        break;
                }

                WFile.Write(line);
                WFile.Flush();
            }

            probe.SawEnd();
        }
        catch (Exception e)
        {
            probe.Failed(e);
            throw;
        }
    }
}

/// <summary>The matrix protocol with <see cref="AsyncStreamRequestHandler.ReadLineAsync"/>; it never blocks (it may run on a loop).</summary>
internal sealed class AsyncProbeLineHandler(HandlerProbe probe) : AsyncStreamRequestHandler
{
    protected override async ValueTask HandleAsync()
    {
        try
        {
            while (await ReadLineAsync() is { } line)
            {
                string text = System.Text.Encoding.ASCII.GetString(line.ToArray());
                switch (text)
                {
                    case "boom\n":
                        throw new InvalidOperationException("boom");
                    case "hold\n":
                        probe.Holding();
                        await probe.Released.WaitAsync(TestTimeouts.Long);
                        break;
                }

                foreach (ReadOnlyMemory<byte> segment in line)
                {
                    Output.Write(segment.Span);
                }

                await Output.FlushAsync();
            }

            probe.SawEnd();
        }
        catch (Exception e)
        {
            probe.Failed(e);
            throw;
        }
    }
}
