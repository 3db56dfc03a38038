using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using SocketServer.Tests.Infrastructure;

namespace SocketServer.Tests.Diagnostics;

/// <summary>
/// A threading TCP server on loopback that logs to a <see cref="LogCapture"/> and records on a meter of its own, and
/// whose <see cref="HandleError"/> does what the request path is to do: a client's fault is logged as one line by
/// <c>ReportClientFault</c>; anything else goes to the default (the Error event).
/// </summary>
internal sealed class DiagnosticTcpServer : ThreadingTcpServer
{
    private readonly ConcurrentQueue<Exception> _errors = new();

    public DiagnosticTcpServer(Func<BaseRequestHandler> handlers, TlsOptions? tls = null)
        : base(new IPEndPoint(IPAddress.Loopback, 0), handlers)
    {
        Tls = tls;
        LoggerFactory = Log.Factory;
        MeterFactory = Meters;
    }

    public LogCapture Log { get; } = new();

    public TestMeterFactory Meters { get; } = new();

    public SemaphoreSlim ErrorHandled { get; } = new(0);

    public IReadOnlyList<Exception> Errors => [.. _errors];

    public void WaitForError() => Assert.True(ErrorHandled.Wait(TestTimeouts.Long), "HandleError was not called");

    protected override void HandleError(object request, EndPoint? clientAddress, Exception exception)
    {
        _errors.Enqueue(exception);
        try
        {
            if (!Diagnostics.ReportClientFault(clientAddress, exception))
            {
                base.HandleError(request, clientAddress, exception);
            }
        }
        finally
        {
            ErrorHandled.Release();
        }
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            Log.Dispose();
            Meters.Dispose();
            ErrorHandled.Dispose();
        }
    }
}

/// <summary>Handlers the diagnostics tests drive.</summary>
internal static class DiagnosticHandlers
{
    /// <summary>Echoes every line until the end of the stream.</summary>
    public static BaseRequestHandler LineEcho() => new LineEcho();

    /// <summary>Reads one line, then throws.</summary>
    public static BaseRequestHandler Throwing() => new ThrowingAfterALine();
}

/// <summary>Echoes lines until the end of the stream.</summary>
internal sealed class LineEcho : StreamRequestHandler
{
    protected override void Handle()
    {
        byte[] line;
        while ((line = RFile.ReadLine()).Length > 0)
        {
            WFile.Write(line);
        }
    }
}

/// <summary>Reads a line, then fails as a buggy handler would.</summary>
internal sealed class ThrowingAfterALine : StreamRequestHandler
{
    protected override void Handle()
    {
        RFile.ReadLine();
        throw new InvalidOperationException("boom");
    }
}

/// <summary>An async handler that accepts lines of at most 8 bytes (newline included).</summary>
internal sealed class ShortLineAsyncHandler : AsyncStreamRequestHandler
{
    protected override async ValueTask HandleAsync()
    {
        while (await ReadLineAsync(maxLength: 8) is { } line)
        {
            foreach (ReadOnlyMemory<byte> segment in line)
            {
                Output.Write(segment.Span);
            }

            await Output.FlushAsync();
        }
    }
}

/// <summary>A TLS client of the test server: trusts the tests' server certificate (its CA is not the system's).</summary>
internal static class TlsClient
{
    public static SslStream Connect(EndPoint address, System.Security.Authentication.SslProtocols protocols = System.Security.Authentication.SslProtocols.None)
    {
        Socket socket = Clients.ConnectStream(address);
        var tls = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false, static (_, certificate, _, _) => certificate?.GetCertHashString() == TestCertificates.Shared.Server.Thumbprint);
        tls.AuthenticateAsClient(new SslClientAuthenticationOptions { TargetHost = "localhost", EnabledSslProtocols = protocols });
        return tls;
    }
}
