using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using SocketServer.Internal.Diagnostics;

namespace SocketServer;

/// <summary>Logging and metrics: where the server's events go, and which meter its instruments are on.</summary>
public abstract partial class BaseServer
{
    private ILoggerFactory? _loggerFactory;
    private IMeterFactory? _meterFactory;
    private ServerDiagnostics? _diagnostics;
    private StandardErrorLogger _standardError = StandardErrorLogger.Instance;

    /// <summary>
    /// Where the server logs its events (category <c>SocketServer</c>, stable event ids): connections a limit ended,
    /// clients that failed a TLS handshake, accept pauses, request errors, workers that died. <see langword="null"/>
    /// (the default) behaves as Python: <see cref="HandleError"/> prints its report to standard error, and the other
    /// events at <see cref="LogLevel.Warning"/> and above go to standard error as one line each.
    /// </summary>
    /// <remarks>
    /// <para>Set it before serving. With a factory, <see cref="HandleError"/>'s default logs an Error event with the
    /// exception instead of printing Python's report. Levels: a client's reset or probe is Debug; a connection a limit
    /// ended, or a client's TLS or input failure, is Information (one line, no stack trace; a limit's lines at most
    /// once per 30 s each); an accept pause and a dead worker are Warning; a request's failure is Error; an event loop's
    /// crash is Critical. docs/design.md lists every event id.</para>
    /// <para>In a host, pass the host's <c>ILoggerFactory</c>, as Kestrel takes it.</para>
    /// </remarks>
    public ILoggerFactory? LoggerFactory
    {
        get => _loggerFactory;
        set
        {
            _loggerFactory = value;
            ResetDiagnostics();
        }
    }

    /// <summary>
    /// Creates the <c>SocketServer</c> meter the server's instruments are on (connections, rejections, TLS handshakes,
    /// bytes, handler errors, accept pauses). <see langword="null"/> (the default) records on one meter named
    /// <c>SocketServer</c> shared by the process, which <c>dotnet-counters monitor --counters SocketServer</c> and an
    /// OpenTelemetry <c>AddMeter("SocketServer")</c> see.
    /// </summary>
    /// <remarks>
    /// Set it before serving. In a host, pass the host's <see cref="IMeterFactory"/>, so that the meter lives and is
    /// disposed with the host's other meters. Recording costs next to nothing while nobody listens; bytes are totals
    /// read when a listener collects, so they never cost an allocation per read or write. docs/design.md lists every
    /// instrument and its attributes.
    /// </remarks>
    public IMeterFactory? MeterFactory
    {
        get => _meterFactory;
        set
        {
            _meterFactory = value;
            ResetDiagnostics();
        }
    }

    /// <summary>The server's logger, instruments and totals; created on first use, after <see cref="LoggerFactory"/> and <see cref="MeterFactory"/> were set.</summary>
    internal ServerDiagnostics Diagnostics => Volatile.Read(ref _diagnostics) ?? CreateDiagnostics();

    /// <summary>The sink used without a <see cref="LoggerFactory"/>: standard error; tests give one over a <see cref="StringWriter"/>.</summary>
    internal StandardErrorLogger StandardError
    {
        get => _standardError;
        set
        {
            _standardError = value ?? throw new ArgumentNullException(nameof(value));
            ResetDiagnostics();
        }
    }

    private ServerDiagnostics CreateDiagnostics()
    {
        var created = new ServerDiagnostics(this, _loggerFactory, _meterFactory, StandardError);
        ServerDiagnostics? existing = Interlocked.CompareExchange(ref _diagnostics, created, null);
        if (existing is null)
        {
            return created;
        }

        // Another thread created them first: keep one set, so the totals are not split.
        created.Dispose();
        return existing;
    }

    /// <summary>A factory changed: the next event creates diagnostics on it (the old ones stop being observed).</summary>
    private void ResetDiagnostics() => Interlocked.Exchange(ref _diagnostics, null)?.Dispose();
}
