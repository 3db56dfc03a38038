using System.Diagnostics;
using System.Net;

namespace SocketServer.Forking.Tests;

/// <summary>A forking server in the test process whose workers are the ForkingHost program; it records the failures it is told of.</summary>
internal sealed class RecordingForkingServer(Func<ProcessStartInfo> workerStart)
    : ForkingTcpServer(new IPEndPoint(IPAddress.Loopback, 0), () => new StreamRequestHandler())
{
    private readonly List<ChildProcessFailure> _failures = [];

    public IReadOnlyList<ChildProcessFailure> Failures
    {
        get
        {
            lock (_failures)
            {
                return [.. _failures];
            }
        }
    }

    public override Func<ProcessStartInfo>? WorkerStartInfo => workerStart;

    protected override void HandleChildFailure(ChildProcessFailure failure)
    {
        lock (_failures)
        {
            _failures.Add(failure);
        }
    }
}
