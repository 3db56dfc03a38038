using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using SocketServer.Internal.Requests;
using SocketServer.Internal.Tls;

namespace SocketServer.Internal.Async;

/// <summary>
/// The live <see cref="PortableConnection"/>s of one <c>ServeAsync</c> run, and their TLS handshakes: pipes over a
/// <see cref="NetworkStream"/>, or over an <see cref="SslStream"/> when the server has <see cref="TcpServer.Tls"/>
/// (the portable session serves every connection so; the reactor's session its TLS connections, whose handshake
/// and encryption must not run on a loop thread).
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "The stop source has no timer and may be cancelled at any time, so it is never disposed.")]
internal sealed class PortableConnections
{
    private static readonly TimeSpan s_stopGrace = TimeSpan.FromSeconds(5);

    private readonly BaseServer _server;
    private readonly Action<object, EndPoint?, Exception> _report;
    private readonly ConcurrentDictionary<PortableConnection, byte> _connections = new();
    private readonly ConcurrentDictionary<Task, byte> _handshakes = new();
    private readonly CancellationTokenSource _stop = new();

    /// <summary>Creates the set for <paramref name="server"/>; <paramref name="report"/> reports a connection's failure.</summary>
    public PortableConnections(BaseServer server, Action<object, EndPoint?, Exception> report)
    {
        _server = server;
        _report = report;
    }

    /// <summary>How many connections are open or in their handshake (for tests).</summary>
    public int Count => _connections.Count + _handshakes.Count;

    /// <summary>The TLS options a new connection of <paramref name="server"/> starts with, or null for plaintext.</summary>
    public static TlsOptions? TlsOnAccept(BaseServer server) =>
        server is TcpServer { Tls: { } options, TlsOnAccept: true } ? options : null;

    /// <summary>
    /// Starts an async stream handler on the connection <paramref name="request"/> (its socket in blocking mode): at
    /// once in plaintext, or after a TLS handshake on the thread pool when the server has TLS.
    /// </summary>
    public void Start(BaseRequestHandler handler, object request, EndPoint? clientAddress)
    {
        Socket socket = AcceptedSocket.SocketOf(request)!;
        if (TlsOnAccept(_server) is not { } options)
        {
            StartConnection(handler, request, socket, clientAddress, new NetworkStream(socket, ownsSocket: false), tls: null);
            return;
        }

        // On the thread pool: the handshake's first steps (and its crypto) may run synchronously, never on a caller's loop.
        Task handshake = Task.Run(() => HandshakeAsync(handler, request, socket, clientAddress, options));
        _handshakes.TryAdd(handshake, 0);
        _ = handshake.ContinueWith(static (task, state) => ((ConcurrentDictionary<Task, byte>)state!).TryRemove(task, out _), _handshakes, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>
    /// Takes over a connection whose handler is already running (a reactor connection moving off its loop for
    /// STARTTLS): plaintext pipes over <paramref name="socket"/> (blocking in .NET's view), the socket of
    /// <paramref name="request"/>, tracked and stopped as the others, and closed through <c>ShutdownRequest</c> when
    /// the handler completes.
    /// </summary>
    public PortableConnection Adopt(object request, Socket socket, EndPoint? clientAddress)
    {
        var connection = new PortableConnection(this, request, socket, clientAddress, new NetworkStream(socket, ownsSocket: false), tls: null);
        _connections.TryAdd(connection, 0);
        if (_stop.IsCancellationRequested)
        {
            connection.Stop();
        }

        return connection;
    }

    /// <summary>The limits state of an admitted connection, or null.</summary>
    public Limits.ConnectionState? FindLimits(object request) => _server.FindConnection(request);

    /// <summary>A connection is done: the server shuts it down and closes it.</summary>
    public void ConnectionClosed(PortableConnection connection)
    {
        _connections.TryRemove(connection, out _);
        ShutdownRequest(connection.Request);
    }

    /// <summary>Reports a handler's failure.</summary>
    public void ReportHandlerFailure(object request, EndPoint? clientAddress, Exception exception) =>
        _report(request, clientAddress, exception);

    /// <summary>
    /// Ends every connection: handshakes in progress are cancelled, each handler sees the end of its input; those
    /// not finished 5 seconds later are closed. Call once no new connection can come.
    /// </summary>
    /// <returns>A task that completes when every connection was closed (or aborted).</returns>
    public async Task StopAsync()
    {
        _stop.Cancel();
        try
        {
            await Task.WhenAll(_handshakes.Keys).WaitAsync(s_stopGrace).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }

        PortableConnection[] connections = [.. _connections.Keys];
        foreach (PortableConnection connection in connections)
        {
            connection.Stop();
        }

        try
        {
            await Task.WhenAll(connections.Select(c => c.Done)).WaitAsync(s_stopGrace).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            foreach (PortableConnection connection in _connections.Keys)
            {
                connection.Abort();
            }
        }
    }

    private async Task HandshakeAsync(BaseRequestHandler handler, object request, Socket socket, EndPoint? clientAddress, TlsOptions options)
    {
        SslStream tls;
        try
        {
            tls = await TlsHandshake.AuthenticateAsync(new NetworkStream(socket, ownsSocket: false), options, clientAddress, _server.Diagnostics, _stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Serving stops: the client never got a connection to be told about.
            ShutdownRequest(request);
            return;
        }
        catch (Exception e)
        {
            // A TlsHandshakeException naming the client and the cause: this client's failure only.
            _report(request, clientAddress, e);
            ShutdownRequest(request);
            return;
        }

        StartConnection(handler, request, socket, clientAddress, tls, tls);
    }

    private void StartConnection(BaseRequestHandler handler, object request, Socket socket, EndPoint? clientAddress, Stream stream, SslStream? tls)
    {
        var connection = new PortableConnection(this, request, socket, clientAddress, stream, tls);
        _connections.TryAdd(connection, 0);
        _server.Pipeline.StartOnConnection(handler, connection, request, clientAddress);
        if (_stop.IsCancellationRequested)
        {
            connection.Stop();
        }
    }

    private void ShutdownRequest(object request) => _server.Pipeline.EndQuietly(request, null);
}
