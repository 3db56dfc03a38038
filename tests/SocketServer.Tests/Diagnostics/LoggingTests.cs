using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Reflection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using SocketServer.Internal.Diagnostics;
using SocketServer.Internal.Reactor;
using SocketServer.Tests.Infrastructure;

namespace SocketServer.Tests.Diagnostics;

/// <summary>
/// Each event the library logs, seen by a real <see cref="ILogger"/> over real loopback traffic: once, with its id and
/// level, and for a client's fault as one line without a stack trace.
/// </summary>
public sealed class LoggingTests
{
    // The groups: lifecycle and accept 1–99, connections and limits 100–199, request errors 200–299, TLS 300–399, forking 400–499.
    private static readonly (string Name, int Low, int High)[] s_groups =
    [
        ("ServingStarted", 1, 99), ("ServeLoopFailed", 1, 99), ("EventLoopFailed", 1, 99), ("AcceptPausedAtConnectionLimit", 1, 99),
        ("AcceptPausedOutOfDescriptors", 1, 99), ("AcceptResumed", 1, 99), ("AcceptFailed", 1, 99),
        ("ConnectionRejected", 100, 199), ("ConnectionAborted", 100, 199), ("IdleConnectionClosed", 100, 199),
        ("ConnectionReset", 100, 199), ("ClientDataRefused", 100, 199), ("UnnamedDatagramClient", 100, 199),
        ("RequestFailed", 200, 299), ("RequestThreadException", 200, 299),
        ("TlsHandshakeFailed", 300, 399), ("TlsProbe", 300, 399),
        ("WorkerFailed", 400, 499),
        ("DatagramRepliesDropped", 820, 829),
        ("ProxyHeaderRefused", 500, 519), ("ProxySourceUntrusted", 500, 519), ("ProxyProbe", 500, 519), ("ProxyHeaderAccepted", 500, 519),
    ];

    private static TlsOptions ServerTls() =>
        TlsOptions.FromPemFiles(TestCertificates.Shared.CertPath("server"), TestCertificates.Shared.KeyPath("server"));

    [Fact]
    public void EventIdsAreUniqueAndInTheirGroups()
    {
        List<(string Name, LoggerMessageAttribute Attribute)> events = [.. typeof(Log).GetMethods(BindingFlags.Public | BindingFlags.Static)
            .Select(static method => (method.Name, Attribute: method.GetCustomAttribute<LoggerMessageAttribute>()))
            .Where(static e => e.Attribute is not null)
            .Select(static e => (e.Name, e.Attribute!))];
        Assert.NotEmpty(events);
        Assert.Equal(events.Count, events.Select(static e => e.Attribute.EventId).Distinct().Count());
        foreach ((string name, LoggerMessageAttribute attribute) in events)
        {
            Assert.Equal(name, attribute.EventName);
            // 1-499 by kind; then blocks handed out per feature: 500-519 the PROXY protocol, 600-619 deployment (health,
            // activation), 700-719 the io_uring transport, 800-899 issue #12's transports (820-829: the reactor's
            // datagram batches). An id outside every block is a mistake.
            Assert.True(
                attribute.EventId is (>= 1 and <= 519) or (>= 600 and <= 619) or (>= 700 and <= 719) or (>= 800 and <= 899),
                $"{name}: event id {attribute.EventId} is in no group");
        }

        foreach ((string name, int low, int high) in s_groups)
        {
            Assert.InRange(events.Single(e => e.Name == name).Attribute.EventId, low, high);
        }
    }

    [Fact]
    public void AHandlerFailureIsOneErrorEventWithTheException()
    {
        using var server = new DiagnosticTcpServer(DiagnosticHandlers.Throwing);
        using var runner = new ServerRunner(server);
        using Socket client = Clients.ConnectStream(server.ServerAddress);
        client.Send("go\n"u8);
        Assert.Empty(Clients.ReceiveToEnd(client));
        server.WaitForError();

        FakeLogRecord record = Assert.Single(server.Log.WaitFor(200));
        Assert.Equal(LogLevel.Error, record.Level);
        Assert.Equal("RequestFailed", record.Id.Name);
        Assert.Equal($"Exception occurred during processing of request from {client.LocalEndPoint}", record.Message);
        Assert.Equal("boom", Assert.IsType<InvalidOperationException>(record.Exception).Message);
        Assert.Equal(ServerDiagnostics.LoggerCategory, record.Category);
        runner.Stop();
        // Besides the serve run's own start and stop (Debug, events 1 and 2), the failure is the one event.
        Assert.Single(server.Log.Records, static r => r.Id.Id is not (1 or 2));
        Assert.Equal([1, 200, 2], server.Log.Records.Select(static r => r.Id.Id));
    }

    [Fact]
    public void AnExceptionEscapingARequestThreadIsOneErrorEvent()
    {
        using var capture = new LogCapture();
        using var server = new FailingHandleErrorServer { LoggerFactory = capture.Factory };
        using var runner = new ServerRunner(server);
        using (Socket client = Clients.ConnectStream(server.ServerAddress))
        {
            client.Send("go\n"u8);
            Clients.ReceiveToEnd(client);
        }

        FakeLogRecord record = Assert.Single(capture.WaitFor(201));
        Assert.Equal(LogLevel.Error, record.Level);
        Assert.Equal("from HandleError", record.Exception?.Message);
        Assert.StartsWith("Exception in request thread ", record.Message, StringComparison.Ordinal);
        runner.Stop();
    }

    [Fact]
    public void WithoutALoggerFactoryHandleErrorPrintsPythonsReportThroughTheDefaultSink()
    {
        var writer = new StringWriter();
        using var server = new ThreadingTcpServer(new IPEndPoint(IPAddress.Loopback, 0), DiagnosticHandlers.Throwing)
        {
            StandardError = new StandardErrorLogger(TextWriter.Synchronized(writer), LogLevel.Warning),
        };
        using var runner = new ServerRunner(server);
        using (Socket client = Clients.ConnectStream(server.ServerAddress))
        {
            client.Send("go\n"u8);
            Clients.ReceiveToEnd(client);
        }

        runner.Stop();
        string[] lines = writer.ToString().Split(Environment.NewLine);
        Assert.Equal(new string('-', 40), lines[0]);
        Assert.StartsWith("Exception occurred during processing of request from 127.0.0.1:", lines[1], StringComparison.Ordinal);
        Assert.StartsWith("System.InvalidOperationException: boom", lines[2], StringComparison.Ordinal);
        Assert.Equal(new string('-', 40), lines[^2]);
    }

    [Fact]
    public void WithoutALoggerFactoryAnAcceptPauseIsOneWarningLineOnTheDefaultSinkAndLimitLinesAreNot()
    {
        var writer = new StringWriter();
        using var server = new ThreadingTcpServer(new IPEndPoint(IPAddress.Loopback, 0), DiagnosticHandlers.LineEcho)
        {
            StandardError = new StandardErrorLogger(TextWriter.Synchronized(writer), LogLevel.Warning),
        };
        server.Limits.MaxConnections = 1;
        server.Limits.MaxLineLength = 8;
        using var runner = new ServerRunner(server);
        using Socket first = Clients.ConnectStream(server.ServerAddress);
        Assert.Equal("a\n"u8.ToArray(), RoundTrip(first, "a\n"u8));
        using Socket second = Clients.ConnectStream(server.ServerAddress);
        Eventually.True(() => server.Connections.AcceptPauseCount == 1, "accepting paused at the cap");
        // The first client breaks MaxLineLength: an Information event, below the default sink's threshold.
        first.Send("0123456789abcdef\n"u8);
        Assert.Empty(Clients.ReceiveToEnd(first));
        Assert.Equal("b\n"u8.ToArray(), RoundTrip(second, "b\n"u8));
        second.Dispose();
        runner.Stop();

        string line = Assert.Single(writer.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(
            $"socketserver: tcp://{server.ServerAddress}: ServerLimits.MaxConnections (1) connections are open; new connections wait in the listen backlog until one ends.",
            line);
    }

    [Fact]
    public void ALimitRejectionIsOneInformationEvent()
    {
        using var server = new LimitedServer(DiagnosticHandlers.LineEcho, static limits => limits.MaxConnectionsPerClient = 1);
        using var runner = new ServerRunner(server);
        using Socket held = Clients.ConnectStream(server.ServerAddress);
        server.WaitForConnections(1);
        using Socket refused = Clients.ConnectStream(server.ServerAddress);
        Assert.Empty(Clients.ReceiveToEnd(refused));

        FakeLogRecord record = Assert.Single(server.Log.WaitFor(100));
        Assert.Equal(LogLevel.Information, record.Level);
        Assert.Null(record.Exception);
        Assert.Equal(
            $"tcp://{server.ServerAddress}: closed a new connection from {refused.LocalEndPoint} without data: 127.0.0.1 already holds ServerLimits.MaxConnectionsPerClient (1) connections.",
            record.Message);
        held.Dispose();
        runner.Stop();
    }

    [Fact]
    public void RepeatedRejectionsAreLoggedOncePer30SecondsThenCountedInTheNextLine()
    {
        using var server = new LimitedServer(DiagnosticHandlers.LineEcho, static limits => limits.MaxConnectionsPerClient = 1);
        using var runner = new ServerRunner(server);
        using Socket held = Clients.ConnectStream(server.ServerAddress);
        server.WaitForConnections(1);
        for (int i = 1; i <= 3; i++)
        {
            using Socket refused = Clients.ConnectStream(server.ServerAddress);
            Assert.Empty(Clients.ReceiveToEnd(refused));
            Eventually.True(() => server.Tracker.RejectedCount == i, $"{i} rejections counted");
        }

        Assert.Single(server.Log.OfEvent(100));
        server.Clock.Advance(TimeSpan.FromSeconds(30));
        using (Socket refused = Clients.ConnectStream(server.ServerAddress))
        {
            Assert.Empty(Clients.ReceiveToEnd(refused));
        }

        List<FakeLogRecord> records = server.Log.WaitFor(100, count: 2);
        Assert.Equal(2, records.Count);
        Assert.EndsWith("connections. (2 more like it since the last report)", records[1].Message, StringComparison.Ordinal);
        held.Dispose();
        runner.Stop();
    }

    [Fact]
    public void AnAcceptPauseAtTheConnectionCapIsOneWarningEvent()
    {
        using var server = new LimitedServer(DiagnosticHandlers.LineEcho, static limits => limits.MaxConnections = 1);
        using var runner = new ServerRunner(server);
        using Socket first = Clients.ConnectStream(server.ServerAddress);
        server.WaitForConnections(1);
        using Socket waiting = Clients.ConnectStream(server.ServerAddress);

        FakeLogRecord record = Assert.Single(server.Log.WaitFor(10));
        Assert.Equal(LogLevel.Warning, record.Level);
        Assert.Contains("ServerLimits.MaxConnections (1)", record.Message, StringComparison.Ordinal);
        first.Dispose();
        Assert.Equal("c\n"u8.ToArray(), RoundTrip(waiting, "c\n"u8));
        waiting.Dispose();
        runner.Stop();
    }

    [Fact]
    public void AConnectionAbortedByALimitIsOneInformationEvent()
    {
        using var server = new LimitedServer(DiagnosticHandlers.LineEcho, static limits => limits.MaxLineLength = 8);
        using var runner = new ServerRunner(server);
        using Socket client = Clients.ConnectStream(server.ServerAddress);
        client.Send("0123456789abcdef\n"u8);
        Assert.Empty(Clients.ReceiveToEnd(client));

        FakeLogRecord record = Assert.Single(server.Log.WaitFor(101));
        Assert.Equal(LogLevel.Information, record.Level);
        Assert.Null(record.Exception);
        Assert.StartsWith($"tcp://{server.ServerAddress}: aborted the connection from {client.LocalEndPoint}: ", record.Message, StringComparison.Ordinal);
        Assert.Contains("ServerLimits.MaxLineLength (8 bytes", record.Message, StringComparison.Ordinal);
        runner.Stop();
    }

    [Fact]
    public void AnIdleConnectionClosedByTheIdleTimeoutIsOneInformationEvent()
    {
        using var server = new LimitedServer(DiagnosticHandlers.LineEcho, static limits =>
        {
            limits.IdleTimeout = TimeSpan.FromSeconds(5);
            limits.FirstUnitTimeout = null;
        });
        using var runner = new ServerRunner(server);
        using Socket client = Clients.ConnectStream(server.ServerAddress);
        Internal.Limits.ConnectionState state = server.WaitForConnections(1)[0];
        Eventually.True(() => state.IsReading, "the handler waits for a line");
        server.AdvanceSeconds(6);
        Assert.Empty(Clients.ReceiveToEnd(client));

        FakeLogRecord record = Assert.Single(server.Log.WaitFor(102));
        Assert.Equal(LogLevel.Information, record.Level);
        Assert.Equal($"tcp://{server.ServerAddress}: closed the idle connection from {client.LocalEndPoint}: no data for ServerLimits.IdleTimeout (5 s).", record.Message);
        runner.Stop();
    }

    [Fact]
    public void AFailedTlsHandshakeIsOneInformationLineNamingTheClientWithoutAStackTrace()
    {
        using var server = new DiagnosticTcpServer(DiagnosticHandlers.LineEcho, ServerTls());
        using var runner = new ServerRunner(server);
        using (Socket plaintext = Clients.ConnectStream(server.ServerAddress))
        {
            // A plaintext client on the TLS port: its line is no ClientHello.
            plaintext.Send("hello over plaintext\n"u8);
            Clients.ReceiveToEnd(plaintext);
        }

        server.WaitForError();
        FakeLogRecord record = Assert.Single(server.Log.WaitFor(300));
        Assert.Equal(LogLevel.Information, record.Level);
        Assert.Null(record.Exception);
        Assert.StartsWith($"tls://{server.ServerAddress}: TLS handshake with 127.0.0.1:", record.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', record.Message);
        Assert.Empty(server.Log.OfEvent(200));
        runner.Stop();
    }

    [Fact]
    public void AClientThatClosesBeforeItsTlsHelloIsAProbeLoggedAtDebug()
    {
        using var server = new DiagnosticTcpServer(DiagnosticHandlers.LineEcho, ServerTls());
        using var runner = new ServerRunner(server);
        using (Clients.ConnectStream(server.ServerAddress))
        {
        }

        server.WaitForError();
        FakeLogRecord record = Assert.Single(server.Log.WaitFor(301));
        Assert.Equal(LogLevel.Debug, record.Level);
        Assert.Empty(server.Log.OfEvent(300));
        Assert.True(Assert.IsType<TlsHandshakeException>(Assert.Single(server.Errors)).ClientSentNothing);
        runner.Stop();
    }

    [Fact]
    public void AResetIsLoggedAtDebug()
    {
        using var server = new DiagnosticTcpServer(DiagnosticHandlers.LineEcho);
        using var runner = new ServerRunner(server);
        using (Socket client = Clients.ConnectStream(server.ServerAddress))
        {
            Assert.Equal("x\n"u8.ToArray(), RoundTrip(client, "x\n"u8));
            // SO_LINGER 0: the close sends a reset, which the handler's next read sees.
            client.LingerState = new LingerOption(true, 0);
        }

        server.WaitForError();
        FakeLogRecord record = Assert.Single(server.Log.WaitFor(103));
        Assert.Equal(LogLevel.Debug, record.Level);
        Assert.Null(record.Exception);
        Assert.Empty(server.Log.OfEvent(200));
        runner.Stop();
    }

    [Fact]
    public void ALineOverAnAsyncHandlersLimitIsOneInformationEvent()
    {
        using var server = new DiagnosticTcpServer(static () => new ShortLineAsyncHandler());
        server.Limits = ServerLimits.Unlimited();
        using var runner = new ServerRunner(server);
        using (Socket client = Clients.ConnectStream(server.ServerAddress))
        {
            client.Send("much longer than eight bytes\n"u8);
            Assert.Empty(Clients.ReceiveToEnd(client));
        }

        server.WaitForError();
        FakeLogRecord record = Assert.Single(server.Log.WaitFor(104));
        Assert.Equal(LogLevel.Information, record.Level);
        Assert.Contains("longer than 8 bytes", record.Message, StringComparison.Ordinal);
        Assert.Empty(server.Log.OfEvent(200));
        runner.Stop();
    }

    [Fact]
    public void AReplyToAnUnnamedUnixDatagramClientIsOneInformationEvent()
    {
        UnixServers.SkipUnlessLinux();
        using var directory = new TempDirectory();
        using var capture = new LogCapture();
        using var server = new ClientFaultUnixDatagramServer(directory.NewSocketPath()) { LoggerFactory = capture.Factory };
        using var runner = new ServerRunner(server);
        using (Socket unnamed = Clients.CreateDatagram(server.ServerAddress))
        {
            unnamed.SendTo("who am i\n"u8.ToArray(), server.ServerAddress);
        }

        FakeLogRecord record = Assert.Single(capture.WaitFor(105));
        Assert.Equal(LogLevel.Information, record.Level);
        Assert.Null(record.Exception);
        Assert.Empty(capture.OfEvent(200));
        runner.Stop();
    }

    [Fact]
    public void AWorkerThatDiedIsOneWarningEventByDefault()
    {
        using var capture = new LogCapture();
        using var server = new ObservedForkingServer { LoggerFactory = capture.Factory };
        var failure = new ChildProcessFailure(4242, 137, new IPEndPoint(IPAddress.Loopback, 5555), "was killed");
        server.ReportChildFailure(failure);

        FakeLogRecord record = Assert.Single(capture.WaitFor(400));
        Assert.Equal(LogLevel.Warning, record.Level);
        Assert.Equal($"tcp://{server.ServerAddress}: {failure}", record.Message);
    }

    [Fact]
    public void AnUnhandledExceptionOnAnEventLoopIsOneCriticalEvent()
    {
        Assert.SkipUnless(ReactorNative.IsSupported, "the reactor runs on 64-bit Linux");
        using var capture = new LogCapture();
        using var server = new TcpServer(new IPEndPoint(IPAddress.Loopback, 0), DiagnosticHandlers.LineEcho) { LoggerFactory = capture.Factory };
        using (var group = new ReactorGroup(1, "diagnostics-loop", server.Diagnostics.EventLoopFailed))
        {
            group.Loops[0].Post(new ThrowingWork());
            FakeLogRecord record = Assert.Single(capture.WaitFor(4));
            Assert.Equal(LogLevel.Critical, record.Level);
            Assert.Equal("Unhandled exception on event loop diagnostics-loop-0.", record.Message);
            Assert.Equal("from the loop", record.Exception?.Message);
        }
    }

    private static byte[] RoundTrip(Socket socket, ReadOnlySpan<byte> line)
    {
        socket.Send(line);
        return Clients.ReceiveAtLeast(socket, line.Length);
    }

    private sealed class FailingHandleErrorServer()
        : ThreadingTcpServer(new IPEndPoint(IPAddress.Loopback, 0), DiagnosticHandlers.Throwing)
    {
        protected override void HandleError(object request, EndPoint? clientAddress, Exception exception) =>
            throw new InvalidOperationException("from HandleError");
    }

    private sealed class ClientFaultUnixDatagramServer(string path)
        : UnixDatagramServer(new UnixDomainSocketEndPoint(path), static () => new LineEchoDatagramHandler())
    {
        protected override void HandleError(object request, EndPoint? clientAddress, Exception exception)
        {
            if (!Diagnostics.ReportClientFault(clientAddress, exception))
            {
                base.HandleError(request, clientAddress, exception);
            }
        }
    }

    private sealed class ObservedForkingServer()
        : ForkingTcpServer(new IPEndPoint(IPAddress.Loopback, 0), DiagnosticHandlers.LineEcho)
    {
        public void ReportChildFailure(ChildProcessFailure failure) => HandleChildFailure(failure);
    }

    private sealed class ThrowingWork : IReactorWork
    {
        public void Execute() => throw new InvalidOperationException("from the loop");
    }
}
