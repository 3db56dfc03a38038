using System.Collections.Concurrent;

namespace SocketServer.Internal.Requests;

/// <summary>
/// The <see cref="PreparedRequest"/>s in flight between a dispatcher and <c>FinishRequest</c>, keyed by the request
/// object itself (by reference): the one argument every hook is given. A dispatcher puts an entry just before it calls
/// <c>FinishRequest</c> and removes it just after, whatever the hook did with it. A datagram's hand-off rides on the
/// <see cref="DatagramRequest"/> itself, which is ours: no lock per datagram.
/// </summary>
internal sealed class RequestHandoffs
{
    private readonly ConcurrentDictionary<object, PreparedRequest> _prepared = new(ReferenceEqualityComparer.Instance);

    // ConcurrentDictionary.IsEmpty takes every lock when the dictionary is empty: the faithful path, which never
    // offers anything, checks this count instead.
    private int _count;

    /// <summary>Offers <paramref name="prepared"/> to the <c>FinishRequest</c> about to run for <paramref name="request"/>.</summary>
    public void Offer(object request, PreparedRequest prepared)
    {
        if (request is DatagramRequest datagram)
        {
            datagram.Prepared = prepared;
            return;
        }

        if (_prepared.TryAdd(request, prepared))
        {
            Interlocked.Increment(ref _count);
        }
    }

    /// <summary>What was offered for <paramref name="request"/>, or null (a request the faithful loop serves as Python does).</summary>
    public PreparedRequest? Find(object request) =>
        request is DatagramRequest datagram ? datagram.Prepared
        : Volatile.Read(ref _count) == 0 ? null : _prepared.GetValueOrDefault(request);

    /// <summary>Removes the offer for <paramref name="request"/>, taken or not.</summary>
    public void Withdraw(object request)
    {
        if (request is DatagramRequest datagram)
        {
            datagram.Prepared = null;
            return;
        }

        if (_prepared.TryRemove(request, out _))
        {
            Interlocked.Decrement(ref _count);
        }
    }
}
