using System.Diagnostics;

namespace SocketServer.Internal.Forking;

/// <summary>The settings and report hook every forking server exposes to its dispatcher.</summary>
internal interface IForkingServer
{
    int MaxChildren { get; }

    bool BlockOnClose { get; }

    int RequestsPerChild { get; }

    int SpareWorkers { get; }

    TimeSpan? MaxRequestDuration { get; }

    Func<ProcessStartInfo>? WorkerStartInfo { get; }

    void ReportChildFailure(ChildProcessFailure failure);
}
