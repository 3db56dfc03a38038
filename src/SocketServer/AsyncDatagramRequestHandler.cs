using System.Net;
using System.Net.Sockets;
using SocketServer.Internal.Async;

namespace SocketServer;

/// <summary>
/// The async counterpart of <see cref="DatagramRequestHandler"/> for UDP and Unix datagram servers: one datagram
/// (<see cref="Packet"/>) from <see cref="BaseRequestHandler.ClientAddress"/>, served by <see cref="HandleAsync"/>,
/// answered with <see cref="Reply"/>, which sends at once from the server's socket (no reply buffer to fill).
/// </summary>
/// <remarks>
/// Under <see cref="BaseServer.ServeAsync"/> the handler runs on the server's event loop and must not block; the
/// server's socket is non-blocking there, so a <see cref="Reply"/> the kernel cannot take at once (send buffer full)
/// fails with a <see cref="SocketException"/> (<see cref="SocketError.WouldBlock"/>), as a datagram may be lost anyway.
/// Under <see cref="BaseServer.ServeForever()"/> and the threading or forking servers it runs to completion on the
/// request's thread.
/// </remarks>
public class AsyncDatagramRequestHandler : BaseRequestHandler
{
    private SocketAddress? _replyAddress;

    /// <summary>The datagram received.</summary>
    public byte[] Packet { get; private set; } = null!;

    /// <summary>The server's socket, shared by every request.</summary>
    public Socket Socket { get; private set; } = null!;

    /// <summary>Serves the datagram. The default does nothing.</summary>
    /// <returns>A task that completes when the datagram was served.</returns>
    protected virtual ValueTask HandleAsync() => default;

    /// <summary>Sends <paramref name="datagram"/> to the client, from the server's socket, as one datagram.</summary>
    /// <param name="datagram">The reply.</param>
    /// <exception cref="InvalidOperationException">The client's Unix datagram socket has no name, so it cannot be answered.</exception>
    public void Reply(ReadOnlySpan<byte> datagram)
    {
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
        var request = Request as DatagramRequest
            ?? throw new InvalidOperationException($"{GetType().Name} needs a DatagramRequest, not {Request.GetType().Name}; use AsyncStreamRequestHandler on stream servers.");
        (Packet, Socket) = request;
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

    /// <summary>Sealed: nothing is buffered, <see cref="Reply"/> has sent already.</summary>
    protected sealed override void Finish()
    {
    }

    private async void ObserveLater(ValueTask handled, IAsyncDatagramHost host, Internal.Requests.PreparedRequest prepared)
    {
        // async void on purpose: every exception is caught and handed to the server.
        try
        {
            await handled.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            host.HandlerFailed(Request, ClientAddress, e);
        }
        finally
        {
            if (prepared.TryClaimEnd())
            {
                host.HandlerEnded(Request, ClientAddress);
            }
        }
    }
}
