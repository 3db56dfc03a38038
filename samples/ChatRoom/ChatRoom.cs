/// <summary>
/// Who is in the room: the members that chose a name. One object shared by every connection's handler, and the
/// handlers run on several event loops at once, so every method takes the lock.
/// </summary>
/// <remarks>
/// <para>A plain lock rather than a <c>ConcurrentDictionary</c>, because what the room does is compound: take a name
/// only if nobody has it and announce it, queue one line to every member. A concurrent dictionary makes each single
/// step atomic, not these; with it two messages sent at once could reach two members in different orders, and a
/// member could miss a line sent just after its join was announced. Under the lock every member sees the same lines in
/// the same order.</para>
/// <para>Holding the lock while queuing is cheap and cannot stall: queuing never waits (<see cref="Member.TryEnqueue"/>)
/// and nothing here awaits. A member whose outbox is full is cut off instead of waited for.</para>
/// </remarks>
internal sealed class ChatRoom
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Member> _members = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Gives <paramref name="member"/> its name and announces it; false when another member has it (ignoring case).</summary>
    /// <param name="member">A member without a name yet.</param>
    /// <param name="name">A valid name.</param>
    /// <returns>Whether the member joined.</returns>
    public bool TryJoin(Member member, string name)
    {
        lock (_lock)
        {
            if (!_members.TryAdd(name, member))
            {
                return false;
            }

            member.Name = name;
            TellLocked(member, $"* you are {name}");
            DeliverLocked($"* {name} joined", except: member);
            return true;
        }
    }

    /// <summary>Sends a member's message to every other member.</summary>
    /// <param name="from">A member of the room.</param>
    /// <param name="text">The message.</param>
    public void Say(Member from, string text)
    {
        lock (_lock)
        {
            DeliverLocked($"{from.Name}: {text}", except: from);
        }
    }

    /// <summary>Queues a line for one member (a reply), which need not have joined.</summary>
    /// <param name="member">The member.</param>
    /// <param name="line">The line.</param>
    public void Tell(Member member, string line)
    {
        lock (_lock)
        {
            TellLocked(member, line);
        }
    }

    /// <summary>The reply to <c>/who</c>: the members' names, sorted.</summary>
    /// <returns>The line.</returns>
    public string Who()
    {
        lock (_lock)
        {
            return _members.Count == 0
                ? "* nobody here"
                : "* here: " + string.Join(", ", _members.Keys.Order(StringComparer.OrdinalIgnoreCase));
        }
    }

    /// <summary>Takes a member out of the room and tells the others; nothing when it never joined or was cut off.</summary>
    /// <param name="member">The member.</param>
    public void Leave(Member member)
    {
        lock (_lock)
        {
            RemoveLocked(member);
        }
    }

    private void TellLocked(Member member, string line)
    {
        if (!member.TryEnqueue(line))
        {
            DropLocked(member);
        }
    }

    private void DeliverLocked(string line, Member? except)
    {
        List<Member>? tooSlow = null;
        foreach (Member member in _members.Values)
        {
            if (member != except && !member.TryEnqueue(line))
            {
                (tooSlow ??= []).Add(member);
            }
        }

        // Dropped after the loop: dropping changes the members, and announces the departure to the rest.
        foreach (Member member in tooSlow ?? [])
        {
            DropLocked(member);
        }
    }

    private void DropLocked(Member member)
    {
        member.Disconnect("! too slow");
        RemoveLocked(member);
    }

    private void RemoveLocked(Member member)
    {
        // By identity: a member cut off as too slow keeps its name, which someone else may have taken since.
        if (member.Name is { } name && _members.TryGetValue(name, out Member? holder) && holder == member)
        {
            _members.Remove(name);
            DeliverLocked($"* {name} left", except: null);
        }
    }
}
