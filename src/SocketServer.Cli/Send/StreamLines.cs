namespace SocketServer.Cli.Send;

/// <summary>
/// Lines read from a stream (standard input when it is redirected), as bytes: each is sent as it came, <c>\r\n</c> or
/// <c>\n</c>, in any encoding, and as soon as it has come, so a slow pipe is followed line by line. A last line without
/// a newline gets one.
/// </summary>
/// <param name="input">The stream.</param>
internal sealed class StreamLines(Stream input) : LineSource
{
    private byte[] _buffer = new byte[16 * 1024];
    private int _start;
    private int _end;
    private bool _ended;

    /// <inheritdoc/>
    public override async ValueTask<byte[]?> NextAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            int newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (newline >= 0)
            {
                byte[] line = _buffer[_start..(newline + 1)];
                _start = newline + 1;
                return line;
            }

            if (_ended)
            {
                if (_start == _end)
                {
                    return null;
                }

                byte[] last = [.. _buffer.AsSpan(_start, _end - _start), (byte)'\n'];
                _start = _end;
                return last;
            }

            MakeRoom();
            // Standard input's reads block a thread and ignore the token: WaitAsync lets a signal end the wait.
            int read = await input.ReadAsync(_buffer.AsMemory(_end), cancellationToken).AsTask().WaitAsync(cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                _ended = true;
            }

            _end += read;
        }
    }

    private void MakeRoom()
    {
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            // A line longer than the buffer: it grows with the line, which is sent whole.
            Array.Resize(ref _buffer, _buffer.Length * 2);
        }
    }
}
