using System.Runtime.InteropServices;

namespace SocketServer.Cli.Bench;

/// <summary>While alive, SIGINT and SIGTERM end the run early instead of killing the process, so the report is still printed.</summary>
internal sealed class StopSignals : IDisposable
{
    private readonly CancellationTokenSource _stop;
    private readonly PosixSignalRegistration[] _registrations;

    /// <summary>Starts turning SIGINT and SIGTERM into a cancellation of <paramref name="stop"/>.</summary>
    /// <param name="stop">Cancelled on the first signal.</param>
    public StopSignals(CancellationTokenSource stop)
    {
        _stop = stop;
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal),
        ];
    }

    /// <summary>Gives the signals back their default actions.</summary>
    public void Dispose()
    {
        foreach (PosixSignalRegistration registration in _registrations)
        {
            registration.Dispose();
        }
    }

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        try
        {
            // Not Cancel(): it runs the token's callbacks on this thread, and with them whatever awaits the token, which
            // can be the rest of the command, up to disposing the source while Cancel() is still inside it (an unhandled
            // ObjectDisposedException, exit code 134). CancelAsync runs them on the thread pool.
            _ = _stop.CancelAsync();
        }
        catch (ObjectDisposedException)
        {
            // The command ended as the signal came (a handler may still run after Dispose): nothing is left to stop.
        }
    }
}
