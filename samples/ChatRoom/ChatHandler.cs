using System.Net.Sockets;
using System.Text;
using SocketServer;

/// <summary>
/// One connection of the chat: reads the client's lines and acts on them (see Program.cs for the protocol). Its
/// per-connection state is its <see cref="Member"/>; what it sends goes through the member's outbox, which a writer
/// task of its own empties, so a client that reads slowly holds up nobody but itself.
/// </summary>
internal sealed class ChatHandler(ChatRoom room) : AsyncStreamRequestHandler
{
    /// <summary>The longest line a client may send, its newline included (IRC's limit).</summary>
    public const int MaxLineBytes = 512;

    /// <summary>The longest name.</summary>
    public const int MaxNameLength = 32;

    protected override async ValueTask HandleAsync()
    {
        var member = new Member(StopReading);
        // Started before anything is queued, and awaited before returning: the server completes Output once this
        // method returns, and nothing but the writer may touch Output meanwhile.
        Task sending = member.SendAllAsync(Output);
        try
        {
            room.Tell(member, "* welcome: choose a name with NICK <name>");
            while (!member.IsDisconnected && await ReadLineAsync(MaxLineBytes) is { } line)
            {
                if (!Serve(member, Encoding.UTF8.GetString(line).TrimEnd('\r', '\n')))
                {
                    break;
                }
            }
        }
        catch (InvalidDataException)
        {
            // Over MaxLineBytes. The connection is closed rather than resynchronised: finding where the next line
            // starts would mean reading the rest of this one, however long the client makes it.
            room.Tell(member, "! line too long");
        }
        catch (IOException)
        {
            // The connection failed (reset by the client, or aborted by one of the server's limits, which reports it
            // itself): a disconnect like any other.
        }
        finally
        {
            // Leave before closing the outbox: a member of the room always has an open outbox, so a full one means
            // too slow, never gone.
            room.Leave(member);
            member.Close();
            await sending;
        }
    }

    private static bool IsValidName(string name) =>
        name.Length is > 0 and <= MaxNameLength && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-');

    /// <summary>Acts on one line from the client; false when the client asked to leave.</summary>
    private bool Serve(Member member, string line)
    {
        if (line == "/quit")
        {
            room.Tell(member, "* bye");
            return false;
        }

        if (line == "/who")
        {
            room.Tell(member, room.Who());
        }
        else if (line == "NICK" || line.StartsWith("NICK ", StringComparison.Ordinal))
        {
            Nick(member, line[4..].Trim());
        }
        else if (line.StartsWith('/'))
        {
            room.Tell(member, "! unknown command");
        }
        else if (line.Length == 0)
        {
            // An empty line says nothing; it is not worth an error either.
        }
        else if (member.Name is null)
        {
            room.Tell(member, "! choose a name first");
        }
        else
        {
            room.Say(member, line);
        }

        return true;
    }

    private void Nick(Member member, string name)
    {
        if (member.Name is not null)
        {
            room.Tell(member, "! you already have a name");
        }
        else if (!IsValidName(name))
        {
            room.Tell(member, $"! bad name: 1 to {MaxNameLength} letters, digits, _ or -");
        }
        else if (!room.TryJoin(member, name))
        {
            room.Tell(member, "! name taken");
        }
    }

    /// <summary>
    /// Ends this connection's input, so that <see cref="AsyncStreamRequestHandler.ReadLineAsync"/> returns the end of
    /// the stream as when the client closes (the library's own limits end a connection's input the same way). Called
    /// by the room, from another connection's event loop, when this member is too slow.
    /// </summary>
    private void StopReading()
    {
        try
        {
            ((Socket)Request).Shutdown(SocketShutdown.Receive);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The connection is already closed (or closing): its input has ended anyway.
        }
    }
}
