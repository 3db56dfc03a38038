using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace SocketServer.Tests.Infrastructure;

/// <summary>What a TLS test server saw: the errors it reported and each connection it closed.</summary>
internal sealed class TlsEvents
{
    private readonly ConcurrentQueue<Exception> _errors = new();

    public SemaphoreSlim ErrorReported { get; } = new(0);

    public SemaphoreSlim ConnectionClosed { get; } = new(0);

    public IReadOnlyList<Exception> Errors => [.. _errors];

    public void AddError(Exception e)
    {
        _errors.Enqueue(e);
        ErrorReported.Release();
    }

    public Exception WaitForError()
    {
        Assert.True(ErrorReported.Wait(TestTimeouts.Long), "the server reported no error");
        return _errors.Last();
    }

    public void WaitForClosed(int count)
    {
        for (int i = 0; i < count; i++)
        {
            Assert.True(ConnectionClosed.Wait(TestTimeouts.Long), "the server did not close a connection");
        }
    }
}

/// <summary>A synchronous TLS TCP server on 127.0.0.1 recording its errors and closes.</summary>
internal sealed class TlsTcpServer : TcpServer
{
    public TlsTcpServer(TlsOptions tls, Func<BaseRequestHandler>? handlers = null)
        : base(new IPEndPoint(IPAddress.Loopback, 0), handlers ?? (static () => new TlsInfoHandler())) => Tls = tls;

    public TlsEvents Events { get; } = new();

    protected override void HandleError(object request, EndPoint? clientAddress, Exception exception) => Events.AddError(exception);

    protected override void ShutdownRequest(object request)
    {
        base.ShutdownRequest(request);
        Events.ConnectionClosed.Release();
    }
}

/// <summary>The threading twin of <see cref="TlsTcpServer"/>.</summary>
internal sealed class TlsThreadingTcpServer : ThreadingTcpServer
{
    public TlsThreadingTcpServer(TlsOptions tls, Func<BaseRequestHandler>? handlers = null)
        : base(new IPEndPoint(IPAddress.Loopback, 0), handlers ?? (static () => new TlsInfoHandler())) => Tls = tls;

    public TlsEvents Events { get; } = new();

    protected override void HandleError(object request, EndPoint? clientAddress, Exception exception) => Events.AddError(exception);

    protected override void ShutdownRequest(object request)
    {
        base.ShutdownRequest(request);
        Events.ConnectionClosed.Release();
    }
}

/// <summary>A Unix-socket TLS server recording its errors.</summary>
internal sealed class TlsUnixStreamServer : UnixStreamServer
{
    public TlsUnixStreamServer(string path, TlsOptions tls, Func<BaseRequestHandler>? handlers = null)
        : base(path, handlers ?? (static () => new TlsInfoHandler())) => Tls = tls;

    public TlsEvents Events { get; } = new();

    protected override void HandleError(object request, EndPoint? clientAddress, Exception exception) => Events.AddError(exception);

    protected override void ShutdownRequest(object request)
    {
        base.ShutdownRequest(request);
        Events.ConnectionClosed.Release();
    }
}

/// <summary>Reads one line, echoes it, then writes what TLS negotiated, and closes.</summary>
internal sealed class TlsInfoHandler : StreamRequestHandler
{
    public static string Describe(StreamRequestHandler handler) =>
        $"tls={handler.IsTls} protocol={handler.TlsProtocol} alpn={handler.TlsApplicationProtocol?.ToString() ?? "-"} " +
        $"sni={handler.TlsHostName ?? "-"} client={handler.TlsClientCertificate?.GetNameInfo(System.Security.Cryptography.X509Certificates.X509NameType.SimpleName, false) ?? "-"}";

    protected override void Handle()
    {
        byte[] line = RFile.ReadLine();
        WFile.Write(Encoding.UTF8.GetBytes("echo: " + Encoding.UTF8.GetString(line).TrimEnd('\r', '\n') + "\n" + Describe(this) + "\n"));
    }
}

/// <summary>The async twin of <see cref="TlsInfoHandler"/>: one line read with ReadLineAsync, echoed with the TLS facts.</summary>
internal sealed class AsyncTlsInfoHandler : AsyncStreamRequestHandler
{
    public static string Describe(AsyncStreamRequestHandler handler) =>
        $"tls={handler.IsTls} protocol={handler.TlsProtocol} alpn={handler.TlsApplicationProtocol?.ToString() ?? "-"} " +
        $"sni={handler.TlsHostName ?? "-"} client={handler.TlsClientCertificate?.GetNameInfo(System.Security.Cryptography.X509Certificates.X509NameType.SimpleName, false) ?? "-"} " +
        $"thread={(Thread.CurrentThread.Name ?? "-").Replace(' ', '_')}";

    protected override async ValueTask HandleAsync()
    {
        System.Buffers.ReadOnlySequence<byte>? line = await ReadLineAsync();
        if (line is not { } l)
        {
            return;
        }

        string text = Encoding.UTF8.GetString(System.Buffers.BuffersExtensions.ToArray(l)).TrimEnd('\r', '\n');
        await Output.WriteAsync(Encoding.UTF8.GetBytes("echo: " + text + "\n" + Describe(this) + "\n"));
    }
}

/// <summary>A line protocol with STARTTLS: "hello" gets "250 hello", "STARTTLS" gets "220 ready" then the upgrade, then one TLS line is echoed with the TLS facts.</summary>
internal sealed class StartTlsHandler : StreamRequestHandler
{
    protected override void Handle()
    {
        while (true)
        {
            string line = Encoding.UTF8.GetString(RFile.ReadLine()).TrimEnd('\r', '\n');
            if (line.Length == 0)
            {
                return;
            }

            if (line == "STARTTLS")
            {
                WFile.Write("220 ready for TLS\n"u8);
                StartTls();
                string secret = Encoding.UTF8.GetString(RFile.ReadLine()).TrimEnd('\r', '\n');
                WFile.Write(Encoding.UTF8.GetBytes($"echo: {secret}\n{TlsInfoHandler.Describe(this)}\n"));
                return;
            }

            WFile.Write(Encoding.UTF8.GetBytes($"250 {line}\n"));
        }
    }
}
