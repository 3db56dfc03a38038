using System.Net;
using SocketServer.Internal.Requests;

namespace SocketServer.Internal.Dispatch;

/// <summary>
/// One request given to a request thread: what Python's <c>ThreadingMixIn</c> makes a <c>threading.Thread</c> for. It
/// carries what that thread would have had of its own (its <c>Thread-N</c> name, its daemon flag, the creator's
/// execution context), and its end, which <see cref="ThreadSet.Join"/> waits for in place of joining the thread:
/// a thread may serve several requests one after another (<see cref="ParkedThreads"/>).
/// </summary>
internal sealed class RequestWork
{
    // A monitor, not a Lock: ServerClose waits on it (Monitor.Wait), and a request nobody waits for pays only an
    // uncontended lock when it ends.
    private readonly object _gate = new();
    private bool _finished;

    public RequestWork(BaseServer server, object request, EndPoint? clientAddress, PreparedRequest? prepared, string name, bool daemon)
    {
        Server = server;
        Request = request;
        ClientAddress = clientAddress;
        Prepared = prepared;
        Name = name;
        Daemon = daemon;
        // What Thread.Start would have flowed into a new thread: AsyncLocal values, culture, principal.
        Context = ExecutionContext.Capture();
    }

    public BaseServer Server { get; }

    public object Request { get; }

    public EndPoint? ClientAddress { get; }

    public PreparedRequest? Prepared { get; }

    /// <summary>The request thread's name while it runs this request, <c>Thread-N</c>.</summary>
    public string Name { get; }

    /// <summary>Whether the thread is a background thread while it runs this request (<c>DaemonThreads</c>).</summary>
    public bool Daemon { get; }

    /// <summary>The dispatching thread's execution context; null when its flow was suppressed.</summary>
    public ExecutionContext? Context { get; }

    /// <summary>The thread that runs the request; set before the request is tracked and handed over.</summary>
    public Thread? Thread { get; set; }

    /// <summary>Whether the request has ended on its thread (or never ran: its thread could not start).</summary>
    public bool IsFinished
    {
        get
        {
            lock (_gate)
            {
                return _finished;
            }
        }
    }

    /// <summary>Marks the request ended and wakes whoever waits for it.</summary>
    public void Complete()
    {
        lock (_gate)
        {
            _finished = true;
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>Waits until the request has ended, as <c>Thread.join</c> on its thread would.</summary>
    public void Wait()
    {
        lock (_gate)
        {
            while (!_finished)
            {
                Monitor.Wait(_gate);
            }
        }
    }
}
