using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Threading.Channels;

/// <summary>
/// One connection as the room sees it: its name once chosen, and its outbox, the bounded queue of lines waiting to be
/// sent to it. Any connection may queue a line (<see cref="TryEnqueue"/>, which never waits); only this connection's
/// writer (<see cref="SendAllAsync"/>) takes lines out and writes them, so its <see cref="PipeWriter"/> has a single
/// user, as a pipe requires.
/// </summary>
internal sealed class Member
{
    /// <summary>
    /// Lines that may wait for a member on top of what its socket and the server's output pipe already hold. One more
    /// and it is too slow: a client that stops reading costs the server this much, not a copy of the whole conversation.
    /// </summary>
    public const int OutboxCapacity = 256;

    private readonly Channel<string> _outbox = Channel.CreateBounded<string>(
        new BoundedChannelOptions(OutboxCapacity) { SingleReader = true });

    private readonly Action _stopReading;
    private string? _farewell;

    /// <param name="stopReading">Ends the connection's input, so that its handler's read returns the end of the stream.</param>
    public Member(Action stopReading)
    {
        _stopReading = stopReading;
    }

    /// <summary>The chosen name, or null before NICK. Set by <see cref="ChatRoom"/> under its lock, never changed after.</summary>
    public string? Name { get; set; }

    /// <summary>True once the room cut this member off (<see cref="Disconnect"/>): what it sends from then on is ignored.</summary>
    public bool IsDisconnected => Volatile.Read(ref _farewell) is not null;

    /// <summary>Queues a line for this member without waiting; false when its outbox is full (or closed).</summary>
    /// <param name="line">The line, without its newline.</param>
    /// <returns>Whether the line was queued.</returns>
    public bool TryEnqueue(string line) => _outbox.Writer.TryWrite(line);

    /// <summary>No more lines: the writer sends what is queued, then ends.</summary>
    public void Close() => _outbox.Writer.TryComplete();

    /// <summary>
    /// Cuts this member off: nothing more is queued, the writer sends what is queued then <paramref name="farewell"/>,
    /// and the connection's input ends. The library's send-rate limit (<c>ServerLimits.MinSendRate</c>, on by default)
    /// closes the connection if the client does not read them.
    /// </summary>
    /// <param name="farewell">The last line, such as <c>! too slow</c>.</param>
    public void Disconnect(string farewell)
    {
        if (Interlocked.CompareExchange(ref _farewell, farewell, null) is not null)
        {
            return;
        }

        _outbox.Writer.TryComplete();
        _stopReading();
    }

    /// <summary>
    /// The connection's writer: sends every queued line until the outbox is closed, then the farewell if there is one.
    /// Each flush waits while the client is behind (the pipe's back-pressure); meanwhile lines wait in the outbox, up
    /// to its capacity.
    /// </summary>
    /// <param name="output">The connection's output; nothing else may write to it until this task ends.</param>
    /// <returns>A task that completes when everything was sent, or the connection failed.</returns>
    public async Task SendAllAsync(PipeWriter output)
    {
        ChannelReader<string> outbox = _outbox.Reader;
        try
        {
            while (await outbox.WaitToReadAsync())
            {
                // Everything queued meanwhile leaves with one flush: a burst costs one system call, not one a line.
                while (outbox.TryRead(out string? line))
                {
                    Write(output, line);
                }

                if ((await output.FlushAsync()).IsCompleted)
                {
                    return;
                }
            }

            // Set before the outbox was closed, so it is seen once the closed outbox is.
            if (Volatile.Read(ref _farewell) is { } farewell)
            {
                Write(output, farewell);
                await output.FlushAsync();
            }
        }
        catch (IOException)
        {
            // The connection failed (reset by the client, or aborted by the server's limits): nothing more can reach
            // this client. Its handler's read sees the failure too, and the handler leaves the room.
        }
    }

    private static void Write(PipeWriter output, string line)
    {
        Encoding.UTF8.GetBytes(line, output);
        output.Write("\n"u8);
    }
}
