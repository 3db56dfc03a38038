using System.Net;
using System.Net.Sockets;
using SocketServer.Internal.Async;
using SocketServer.Internal.Dispatch;
using SocketServer.Internal.Proxy;

namespace SocketServer.Internal.Requests;

/// <summary>
/// The one way a request goes through a server, in every mode: CPython's order and catch rules, written once.
/// </summary>
/// <remarks>
/// <para>
/// A request has two halves. <see cref="Accept"/> runs where it was received (the serve loop's thread, an event loop,
/// the portable accept task): admit (limits) → <c>VerifyRequest</c> → <c>ProcessRequest</c>, as CPython's
/// <c>_handle_request_noblock</c>. <c>ProcessRequest</c> asks the server's dispatcher where the second half runs:
/// inline, on a thread, in a worker process or on an event loop's connection. Wherever it is, it runs
/// <c>FinishRequest</c> → <c>HandleError</c> (or the exit family) → <c>ShutdownRequest</c> through
/// <see cref="Finish"/>, <see cref="FinishOnThread"/>, or for an async handler <see cref="StartOnConnection"/>
/// then <see cref="HandlerCompleted"/> and <see cref="End"/>.
/// </para>
/// <para>
/// What is reported where: an ordinary failure goes to <c>HandleError</c> (<see cref="ReportFailure"/>), except a
/// connection a limit ended (counted and reported when it happened). What escapes the hooks follows Python: from the
/// first half it propagates out of the serve loop (<c>ServeForever</c> rethrows, <c>ServeAsync</c>'s task faults);
/// from a request thread it goes to <c>HandleThreadException</c> (<c>threading.excepthook</c>).
/// </para>
/// </remarks>
internal sealed class RequestPipeline
{
    private readonly BaseServer _server;
    private AcceptBackoff? _acceptBackoff;

    /// <summary>The pipeline of <paramref name="server"/>; one per server.</summary>
    public RequestPipeline(BaseServer server)
    {
        _server = server;
        Handoffs = new RequestHandoffs();
    }

    /// <summary>The handlers and connections dispatchers hand to <c>FinishRequest</c>.</summary>
    public RequestHandoffs Handoffs { get; }

    /// <summary>
    /// The one accept back-off of every transport (serve loop, reactor, portable): how long to pause before the next
    /// accept while the process is out of descriptors; null while accepting works.
    /// </summary>
    public TimeSpan? PendingAcceptPause => _acceptBackoff?.PendingDelay;

    /// <summary>
    /// The first half, where the request was received: on a PROXY protocol listener the header first (trusted source,
    /// valid header, or the connection is closed unseen), then admit → <c>VerifyRequest</c> → <c>ProcessRequest</c>.
    /// Returns when the request was handed on, refused, or failed and was reported and ended; or, when
    /// <paramref name="proxyTransport"/> reads the header without blocking, once that read has started (the transport
    /// then calls <see cref="ProxyHeaderReceived"/>).
    /// </summary>
    /// <param name="request">The request.</param>
    /// <param name="clientAddress">Its peer's address.</param>
    /// <param name="proxyTransport">The async session that reads PROXY headers on its loop; null on the serve loops, which read them blocking.</param>
    /// <exception cref="ServerExitException">A hook asked the server to exit; the request was ended first.</exception>
    /// <remarks>
    /// As in CPython, an exception from <c>VerifyRequest</c> or <c>HandleError</c> propagates too, and then the request
    /// is not ended.
    /// </remarks>
    public void Accept(object request, EndPoint? clientAddress, IProxyHeaderTransport? proxyTransport = null)
    {
        if (_server.ProxyProtocolFor(request) is { } proxy)
        {
            // Before the limits and VerifyRequest, so that both (and the per-client cap) see the original client.
            // An accepted socket built lazily becomes the request as a Socket now: the header is read through it.
            Socket socket = AcceptedSocket.SocketOf(request)!;
            if (!ProxyHeaderReceiver.Trusts(proxy, clientAddress))
            {
                _server.Diagnostics.ProxyHeaderRefused(clientAddress, untrusted: true, probe: false, reason: null);
                _server.CloseUnserved(request);
                return;
            }

            var read = new ProxyHeaderRead(socket, clientAddress, proxy, _server.TimeProvider.GetTimestamp());
            if (proxyTransport is not null)
            {
                proxyTransport.ReceiveProxyHeader(read);
                return;
            }

            ProxyHeaderReceiver.ReceiveBlocking(read, _server.TimeProvider);
            ProxyHeaderReceived(read);
            return;
        }

        AcceptClient(request, clientAddress);
    }

    /// <summary>
    /// A PROXY header read ended: a refused one closes the connection (logged and counted) before any hook sees it; a
    /// valid one is attached to the request and the request goes on with the original client's address.
    /// </summary>
    public void ProxyHeaderReceived(ProxyHeaderRead read)
    {
        if (read.Status != ProxyParseStatus.Complete || read.Header is null)
        {
            _server.Diagnostics.ProxyHeaderRefused(read.ProxyAddress, untrusted: false, probe: read.ClosedEmpty, read.Reason);
            _server.CloseUnserved(read.Socket);
            return;
        }

        _server.AttachProxyHeader(read.Socket, read.Header);
        _server.Diagnostics.ProxyHeaderAccepted(read.ProxyAddress, read.Header);
        AcceptClient(read.Socket, read.ClientAddress);
    }

    /// <summary>admit → <c>VerifyRequest</c> → <c>ProcessRequest</c>, with the client's address (the original client's behind a proxy).</summary>
    private void AcceptClient(object request, EndPoint? clientAddress)
    {
        if (!_server.AdmitConnection(request, clientAddress))
        {
            return;
        }

        // As in CPython, VerifyRequest is outside the try: if it throws, the exception propagates.
        if (!_server.InvokeVerifyRequest(request, clientAddress))
        {
            End(request);
            return;
        }

        try
        {
            _server.InvokeProcessRequest(request, clientAddress);
        }
        catch (ServerExitException)
        {
            End(request);
            throw;
        }
        catch (RequestThreadStartException e)
        {
            // Out of descriptors (or memory) before accept noticed: close the connection and pause accepting.
            End(request);
            AcceptPaused(e);
            return;
        }
        catch (Exception e)
        {
            ReportFailure(request, clientAddress, e);
            End(request);
        }

        // Only once a request got going: a thread that cannot start (out of descriptors) is no recovery.
        if (_acceptBackoff?.PendingDelay is not null)
        {
            _acceptBackoff.Succeeded();
        }
    }

    /// <summary>
    /// The second half, on the calling thread: <c>FinishRequest</c>, an ordinary failure reported, then
    /// <c>ShutdownRequest</c>; nothing escapes. Python's <c>process_request_thread</c> and the forked child's body.
    /// </summary>
    /// <param name="request">The request.</param>
    /// <param name="clientAddress">Its client.</param>
    /// <param name="beforeEnd">Called with the outcome, and whether the caller must stop (something escaped), just before the request is ended.</param>
    /// <returns>How it went, and what escaped the hooks (for <c>HandleThreadException</c>, or a worker's exit).</returns>
    public FinishResult Finish(object request, EndPoint? clientAddress, Action<RequestOutcome, bool>? beforeEnd = null)
    {
        RequestOutcome outcome = RequestOutcome.Failed;
        Exception? escaped = null;
        try
        {
            _server.InvokeFinishRequest(request, clientAddress);
            outcome = RequestOutcome.Completed;
        }
        catch (ServerExitException e)
        {
            outcome = RequestOutcome.ExitRequested;
            escaped = e;
        }
        catch (Exception e)
        {
            try
            {
                ReportFailure(request, clientAddress, e);
            }
            catch (Exception hookFailure)
            {
                escaped = hookFailure;
            }
        }

        try
        {
            beforeEnd?.Invoke(outcome, escaped is not null);
            End(request);
        }
        catch (Exception e)
        {
            escaped ??= e;
        }

        return new FinishResult(outcome, escaped);
    }

    /// <summary>
    /// <see cref="Finish"/> on a request thread: what escapes goes to <c>HandleThreadException</c>, as Python's
    /// <c>threading.excepthook</c>, so a faulty request never ends the process.
    /// </summary>
    public void FinishOnThread(object request, EndPoint? clientAddress)
    {
        if (Finish(request, clientAddress).Escaped is { } escaped)
        {
            ThreadException(request, clientAddress, escaped);
        }
    }

    /// <summary>
    /// Starts an async handler on its connection: <c>FinishRequest</c> with the handler and connection offered to it.
    /// The handler reports its completion to the connection, which then calls <see cref="HandlerCompleted"/> and, once
    /// closed, <see cref="End"/>. If no async handler took the connection (<c>FinishRequest</c> threw, or an override
    /// served the request itself), the connection is told the handler completed at once.
    /// </summary>
    public void StartOnConnection(BaseRequestHandler handler, IAsyncConnection connection, object request, EndPoint? clientAddress)
    {
        var prepared = new PreparedRequest(handler, connection);
        Exception? failure = null;
        Handoffs.Offer(request, prepared);
        try
        {
            _server.InvokeFinishRequest(request, clientAddress);
        }
        catch (Exception e)
        {
            failure = e;
        }
        finally
        {
            Handoffs.Withdraw(request);
        }

        if (!prepared.ConnectionTaken)
        {
            connection.HandlerCompleted(failure);
        }
        else if (failure is not null)
        {
            // The handler took the connection, then FinishRequest (an override's code after it) threw.
            HandlerCompleted(request, clientAddress, failure, exit: null);
        }
    }

    /// <summary>
    /// Serves a datagram with an async datagram handler on this thread (it must not block), as the synchronous
    /// dispatcher does: the handler starts here, and the request is ended once it completed: here, or, when it is still
    /// running, by the handler when its task completes (its failure going to <paramref name="host"/>). Exceptions
    /// propagate to <see cref="Accept"/>, as on the synchronous path.
    /// </summary>
    public void FinishDatagramInline(BaseRequestHandler handler, IAsyncDatagramHost host, object request, EndPoint? clientAddress)
    {
        // A pooled datagram (the reactor's) carries a hand-off of its own: nothing allocated per datagram.
        PreparedRequest prepared = request is DatagramRequest { PooledHandoff: { } pooled } datagram
            ? pooled.ForDatagram(handler, host, datagram)
            : new PreparedRequest(handler, datagramHost: host);
        Handoffs.Offer(request, prepared);
        try
        {
            _server.InvokeFinishRequest(request, clientAddress);
        }
        catch
        {
            // Accept reports the failure and ends the request: the handler, if it still runs, must not end it again.
            prepared.TryClaimEnd();
            throw;
        }
        finally
        {
            Handoffs.Withdraw(request);
        }

        if (!prepared.EndDeferred)
        {
            End(request);
        }
    }

    /// <summary>
    /// An async handler's run ended (on a loop or the thread pool): a failure is reported as on a request thread, and
    /// a <see cref="ServerExitException"/> goes to <paramref name="exit"/>, which stops the serve run.
    /// </summary>
    public void HandlerCompleted(object request, EndPoint? clientAddress, Exception failure, Action<ServerExitException>? exit)
    {
        if (failure is ServerExitException exitRequest)
        {
            if (exit is not null)
            {
                exit(exitRequest);
            }
            else
            {
                ThreadException(request, clientAddress, exitRequest);
            }

            return;
        }

        try
        {
            ReportFailure(request, clientAddress, failure);
        }
        catch (Exception e)
        {
            ThreadException(request, clientAddress, e);
        }
    }

    /// <summary>
    /// Reports an ordinary failure of a request with <c>HandleError</c>, unless a limit ended the connection (counted
    /// and reported then). An exception from <c>HandleError</c> propagates.
    /// </summary>
    public void ReportFailure(object request, EndPoint? clientAddress, Exception exception)
    {
        if (_server.IsLimitFailure(request, exception))
        {
            return;
        }

        _server.Diagnostics.HandlerError(exception);
        _server.InvokeHandleError(request, clientAddress, exception);
    }

    /// <summary>
    /// Ends a request: <c>ShutdownRequest</c>, then its connection's slot under the limits is given back. Called
    /// exactly once per request. A pooled datagram goes back to its pool then, unless its handler still runs (it gives
    /// it back when its task completes).
    /// </summary>
    public void End(object request)
    {
        try
        {
            _server.EndRequest(request);
        }
        finally
        {
            (request as DatagramRequest)?.Release();
        }
    }

    /// <summary><see cref="End"/> where nothing may escape (a loop, a pool thread): a failure is a thread exception.</summary>
    public void EndQuietly(object request, EndPoint? clientAddress)
    {
        try
        {
            End(request);
        }
        catch (Exception e)
        {
            ThreadException(request, clientAddress, e);
        }
    }

    /// <summary>What escaped a request away from the serve loop: <c>HandleThreadException</c>, and if that throws too, the report.</summary>
    public void ThreadException(object request, EndPoint? clientAddress, Exception exception)
    {
        try
        {
            _server.InvokeHandleThreadException(request, clientAddress, exception);
        }
        catch (Exception hookFailure)
        {
            _server.Diagnostics.ThreadException(clientAddress, hookFailure);
        }
    }

    /// <summary>
    /// An accept failed: out of descriptors (or buffers) pauses accepting, 5 ms doubling to 1 s, reported once; any
    /// other failure is no request, as in Python. Returns the pause to take before accepting again, or null.
    /// </summary>
    public TimeSpan? AcceptFailed(Exception exception)
    {
        if (SocketErrors.IsResourceExhaustion(exception))
        {
            AcceptPaused(exception);
        }
        else
        {
            _server.Diagnostics.AcceptFailed(exception);
        }

        return PendingAcceptPause;
    }

    private void AcceptPaused(Exception exception) =>
        (_acceptBackoff ??= new AcceptBackoff(_server.Diagnostics)).Failed(exception);
}
