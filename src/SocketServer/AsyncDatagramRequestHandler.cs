using System.Net;
using System.Net.Sockets;
using SocketServer.Internal.Async;
using SocketServer.Internal.Requests;

namespace SocketServer;

/// <summary>
/// The async counterpart of <see cref="DatagramRequestHandler"/> for UDP and Unix datagram servers: one datagram
/// (<see cref="Data"/>, or <see cref="Packet"/> as an array) from <see cref="BaseRequestHandler.ClientAddress"/>,
/// served by <see cref="HandleAsync"/>, answered with <see cref="Reply"/> (no reply buffer to fill).
/// </summary>
/// <remarks>
/// <para>
/// Under <see cref="BaseServer.ServeAsync"/> on the event loops (64-bit Linux) the handler starts on the loop that
/// received the datagram and must not block. The loop receives datagrams in batches (<c>recvmmsg</c>); a
/// <see cref="Reply"/> made on the loop while a batch is served is queued and sent with the batch's other replies, in
/// order, by one <c>sendmmsg</c> after the batch (or sooner, when the queue is full). Such a reply does not throw when
/// the kernel cannot take it: it is dropped, as the network may drop any datagram, counted in
/// <c>socketserver.datagrams.dropped</c> (with <c>error.type</c>) and logged at Debug (event 820, at most once every
/// 30 s). A <see cref="Reply"/> made anywhere else (after the handler awaited something that completed off the loop)
/// is sent at once from the server's non-blocking socket, and a reply the kernel cannot take then fails with a
/// <see cref="SocketException"/> (<see cref="SocketError.WouldBlock"/>).
/// </para>
/// <para>
/// There, the request and its buffer are the server's and serve a later datagram once this one has ended:
/// <see cref="Data"/> is valid until <see cref="HandleAsync"/>'s task has completed; copy what must outlive it
/// (<see cref="Packet"/> is such a copy, made on first use). A repeat client's <see cref="BaseRequestHandler.ClientAddress"/>
/// is the same <see cref="EndPoint"/> instance each time (the server keeps a bounded table of them): treat it as
/// read-only. A new handler is still created for each datagram, as in Python, unless the handler opts in to
/// <see cref="Reusable"/>; with it, a server loop serves datagrams without allocating.
/// </para>
/// <para>
/// Under <see cref="BaseServer.ServeForever()"/>, the threading or forking servers, and the portable async transport,
/// it runs to completion on the request's thread (or its receive loop), each <see cref="Reply"/> sent at once.
/// </para>
/// </remarks>
public class AsyncDatagramRequestHandler : BaseRequestHandler
{
    private DatagramRequest _request = null!;
    private SocketAddress? _replyAddress;

    /// <summary>The datagram received, cut to the server's maximum packet size.</summary>
    /// <remarks>Under <see cref="BaseServer.ServeAsync"/> on the event loops, valid until <see cref="HandleAsync"/>'s task has completed.</remarks>
    public ReadOnlyMemory<byte> Data => _request.Data;

    /// <summary>The datagram received, as an array; under <see cref="BaseServer.ServeAsync"/> on the event loops, a copy of <see cref="Data"/> made on first use.</summary>
    public byte[] Packet => _request.Packet;

    /// <summary>The server's socket, shared by every request.</summary>
    public Socket Socket => _request.Socket;

    /// <summary>
    /// Whether this instance may serve another datagram once it has served one: <see langword="false"/> by default, a
    /// new handler per datagram, as in Python. Override it to return <see langword="true"/> to let
    /// <see cref="BaseServer.ServeAsync"/> on the event loops keep the instance and give it later datagrams.
    /// </summary>
    /// <remarks>
    /// The same instance then serves many datagrams, one at a time (never two at once: an instance whose
    /// <see cref="HandleAsync"/> is still running is not given another), and <see cref="BaseServer.CreateRequestHandler"/>
    /// runs only when no idle instance is at hand. Reset your own fields at the start of <see cref="HandleAsync"/>. Do not
    /// opt in for a handler that holds resources of its request, such as a dependency-injection scope that
    /// <see cref="BaseServer.ShutdownRequest"/> releases. Read once the request has ended; other modes ignore it.
    /// </remarks>
    protected virtual bool Reusable => false;

    /// <summary><see cref="Reusable"/>, for the server.</summary>
    internal bool CanServeAgain => Reusable;

    /// <summary>Serves the datagram. The default does nothing.</summary>
    /// <returns>A task that completes when the datagram was served.</returns>
    protected virtual ValueTask HandleAsync() => default;

    /// <summary>Sends <paramref name="datagram"/> to the client, from the server's socket, as one datagram.</summary>
    /// <param name="datagram">The reply.</param>
    /// <exception cref="InvalidOperationException">The client's Unix datagram socket has no name, so it cannot be answered.</exception>
    /// <exception cref="SocketException">
    /// The reply was sent at once and failed; <see cref="SocketError.WouldBlock"/> when the kernel could not take it. A
    /// reply queued on the event loop's batch never throws for that (see the class's remarks).
    /// </exception>
    public void Reply(ReadOnlySpan<byte> datagram)
    {
        if (_request.Pool is { } pool)
        {
            // A pooled datagram (the reactor's): the sender's raw address, as received; no EndPoint serialized.
            // An unnamed Unix sender comes with no address, or only its family.
            if (_request.Address!.Size <= sizeof(ushort))
            {
                throw new Internal.Diagnostics.UnnamedClientException();
            }

            pool.Replies.Reply(_request, datagram);
            return;
        }

        if (ClientAddress is UnixDomainSocketEndPoint unix && unix.ToString().Length == 0)
        {
            throw new Internal.Diagnostics.UnnamedClientException();
        }

        EndPoint client = ClientAddress
            ?? throw new InvalidOperationException("Cannot reply: the request has no client address (a custom GetRequest returned none).");
        // Serialized once per request, then the SocketAddress overload sends without allocating.
        _replyAddress ??= client.Serialize();
        int sent = Socket.SendTo(datagram, SocketFlags.None, _replyAddress);
        Server.Diagnostics.Traffic.DatagramSent(sent);
    }

    /// <summary>Takes the datagram from the request.</summary>
    protected sealed override void Setup()
    {
        _request = Request as DatagramRequest
            ?? throw new InvalidOperationException($"{GetType().Name} needs a DatagramRequest, not {Request.GetType().Name}; use AsyncStreamRequestHandler on stream servers.");
    }

    /// <summary>
    /// Runs <see cref="HandleAsync"/>: started on the event loop under <see cref="BaseServer.ServeAsync"/> (if it completes
    /// later, its failure goes to <see cref="BaseServer.HandleError"/> and the request is ended then), otherwise to
    /// completion on this thread.
    /// </summary>
    protected sealed override void Handle()
    {
        if (Prepared is { DatagramHost: { } host } prepared)
        {
            ValueTask handled = HandleAsync();
            if (!handled.IsCompleted)
            {
                // The request ends when the handler does, not now: its ShutdownRequest (and whatever an override of
                // it releases, such as a dependency-injection scope) must not come while the handler still runs.
                prepared.DeferEnd();
                ObserveLater(handled, host, prepared);
                return;
            }

            handled.GetAwaiter().GetResult();
            return;
        }

        HandleAsync().AsTask().GetAwaiter().GetResult();
    }

    /// <summary>Sealed: nothing is buffered, <see cref="Reply"/> has sent or queued already.</summary>
    protected sealed override void Finish()
    {
    }

    /// <inheritdoc/>
    internal override void Detach()
    {
        base.Detach();
        _request = null!;
        _replyAddress = null;
    }

    private async void ObserveLater(ValueTask handled, IAsyncDatagramHost host, PreparedRequest prepared)
    {
        // async void on purpose: every exception is caught and handed to the server.
        object request = RequestKey;
        EndPoint? clientAddress = ClientAddress;
        try
        {
            await handled.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            host.HandlerFailed(request, clientAddress, e);
        }
        finally
        {
            if (prepared.TryClaimEnd())
            {
                host.HandlerEnded(request, clientAddress);
            }

            // Last: a pooled request (and this handler, if reusable) may serve another datagram from here on.
            prepared.HandlerDone();
        }
    }
}
