namespace SocketServer.Internal.Reactor;

/// <summary>
/// One loop's live connections, linked through the connections themselves: adding and removing cost two stores, and
/// neither a table per loop nor its growth (a copy of every entry on the loop's thread, and the old array left to
/// the collector) comes with ten thousand connections. That loop's thread only.
/// </summary>
internal sealed class LiveConnectionList
{
    private ServerStreamConnection? _first;

    /// <summary>How many connections are in the list.</summary>
    public int Count { get; private set; }

    /// <summary>Adds <paramref name="connection"/>, which is in no list.</summary>
    public void Add(ServerStreamConnection connection)
    {
        connection.NextLive = _first;
        connection.PreviousLive = null;
        if (_first is not null)
        {
            _first.PreviousLive = connection;
        }

        _first = connection;
        connection.IsLive = true;
        Count++;
    }

    /// <summary>Removes <paramref name="connection"/> if it is in the list (a second removal does nothing).</summary>
    public void Remove(ServerStreamConnection connection)
    {
        if (!connection.IsLive)
        {
            return;
        }

        if (connection.PreviousLive is { } previous)
        {
            previous.NextLive = connection.NextLive;
        }
        else
        {
            _first = connection.NextLive;
        }

        if (connection.NextLive is { } next)
        {
            next.PreviousLive = connection.PreviousLive;
        }

        connection.PreviousLive = null;
        connection.NextLive = null;
        connection.IsLive = false;
        Count--;
    }

    /// <summary>The connections now in the list, copied (the caller may remove them as it goes).</summary>
    public ServerStreamConnection[] ToArray()
    {
        var connections = new ServerStreamConnection[Count];
        int i = 0;
        for (ServerStreamConnection? connection = _first; connection is not null; connection = connection.NextLive)
        {
            connections[i++] = connection;
        }

        return connections;
    }
}
