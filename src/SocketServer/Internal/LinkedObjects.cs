namespace SocketServer.Internal;

/// <summary>
/// A set of objects linked through the objects themselves (<see cref="ILinkedObject{T}"/>): adding and removing
/// cost a few stores, and no table comes with ten thousand connections, nor its growth (every entry copied at each
/// doubling, the old array left to the collector: on the large object heap past 85 KB, until a full collection).
/// Not thread-safe: its owner serializes access (a loop's thread, a lock).
/// </summary>
/// <typeparam name="T">The objects' type.</typeparam>
internal sealed class LinkedObjects<T>
    where T : class, ILinkedObject<T>
{
    private T? _first;

    /// <summary>How many objects are in the set.</summary>
    public int Count { get; private set; }

    /// <summary>Adds <paramref name="item"/>, which is in no set.</summary>
    public void Add(T item)
    {
        if (item.IsLinked)
        {
            throw new InvalidOperationException("The object is in a list already.");
        }

        item.NextLinked = _first;
        item.PreviousLinked = null;
        if (_first is not null)
        {
            _first.PreviousLinked = item;
        }

        _first = item;
        item.IsLinked = true;
        Count++;
    }

    /// <summary>Removes <paramref name="item"/>, which is in this set or in none (then nothing happens).</summary>
    public void Remove(T item)
    {
        if (!item.IsLinked)
        {
            return;
        }

        T? previous = item.PreviousLinked;
        T? next = item.NextLinked;
        if (previous is not null)
        {
            previous.NextLinked = next;
        }
        else
        {
            _first = next;
        }

        if (next is not null)
        {
            next.PreviousLinked = previous;
        }

        item.PreviousLinked = null;
        item.NextLinked = null;
        item.IsLinked = false;
        Count--;
    }

    /// <summary>Appends the objects now in the set to <paramref name="destination"/> (in no particular order).</summary>
    public void CopyTo(List<T> destination)
    {
        destination.EnsureCapacity(destination.Count + Count);
        for (T? item = _first; item is not null; item = item.NextLinked)
        {
            destination.Add(item);
        }
    }

    /// <summary>The objects now in the set, in a new list (the caller may remove them as it goes).</summary>
    public List<T> ToList()
    {
        var items = new List<T>(Count);
        CopyTo(items);
        return items;
    }
}
