using System.Net.Sockets;
using System.Security.Authentication;

namespace SocketServer.Cli.Send;

/// <summary>
/// <c>send</c> to a stream server (TCP or Unix, with or without TLS). By default one connection carries every line:
/// they are sent as they come, the replies are printed as they arrive, and at the end of the input the sending side is
/// shut down (half-close), so a server that answers until the end of the stream (echo) sees it and closes; the command
/// then waits for the server to close, or for <c>--wait</c> seconds without a byte. With <c>--connection-per-line</c>
/// each line has a connection of its own, as the seed's timestamp client does.
/// </summary>
internal sealed class StreamSession
{
    private readonly SendSettings _settings;
    private readonly LineSource _lines;
    private readonly Stream _output;
    private readonly TextWriter _error;
    private bool _replied;

    /// <summary>Creates the session.</summary>
    /// <param name="settings">The target and options.</param>
    /// <param name="lines">Where the lines come from.</param>
    /// <param name="output">Standard output, for the replies.</param>
    /// <param name="error">Standard error, for the one line that says what went wrong.</param>
    public StreamSession(SendSettings settings, LineSource lines, Stream output, TextWriter error)
    {
        _settings = settings;
        _lines = lines;
        _output = output;
        _error = error;
    }

    private string Uri => _settings.Target.Text;

    /// <summary>Sends every line and prints every reply.</summary>
    /// <param name="stop">Cancelled by SIGINT or SIGTERM: the command stops at once, with the exit code of what came so far.</param>
    /// <returns>One of <see cref="ExitCodes"/>.</returns>
    public async Task<int> RunAsync(CancellationToken stop)
    {
        try
        {
            return _settings.ConnectionPerLine ? await RunConnectionPerLineAsync(stop).ConfigureAwait(false) : await RunOneConnectionAsync(stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return _replied ? ExitCodes.Success : ExitCodes.NoReply;
        }
    }

    private async Task<int> RunOneConnectionAsync(CancellationToken stop)
    {
        StreamConnection? connection = await ConnectAsync(stop).ConfigureAwait(false);
        if (connection is null)
        {
            return ExitCodes.Address;
        }

        try
        {
            // Whether a line went on this connection already: at a terminal a used connection may have been closed.
            bool used = false;
            while (await _lines.NextAsync(stop).ConfigureAwait(false) is { } line)
            {
                if (!_lines.IsInteractive)
                {
                    if (!await TrySendAsync(connection, line, stop).ConfigureAwait(false))
                    {
                        return ExitCodes.Address;
                    }

                    continue;
                }

                if (connection.Ended)
                {
                    // The server closed after its answer (serve timestamp does): the line typed gets a new connection.
                    connection = await ReplaceAsync(connection, stop).ConfigureAwait(false);
                    if (connection is null)
                    {
                        return ExitCodes.Address;
                    }

                    used = false;
                }

                long before = connection.Received;
                if (await TrySendQuietlyAsync(connection, line, stop).ConfigureAwait(false))
                {
                    await connection.WaitForReplyAsync(before, _settings.Wait, stop).ConfigureAwait(false);
                }

                if (used && (connection.Ended || connection.Failure is not null) && connection.Received == before)
                {
                    // The server closed this connection before the line reached it (it answers once per connection, and
                    // its close crossed the line): nothing read it, so it goes again, once, on a new connection.
                    connection = await ReplaceAsync(connection, stop).ConfigureAwait(false);
                    if (connection is null || !await TrySendAsync(connection, line, stop).ConfigureAwait(false))
                    {
                        return ExitCodes.Address;
                    }

                    await connection.WaitForReplyAsync(connection.Received, _settings.Wait, stop).ConfigureAwait(false);
                }

                used = true;
            }

            return await FinishAsync(connection, "", stop).ConfigureAwait(false);
        }
        finally
        {
            // Null when a new connection could not be made after the server closed the last one.
            if (connection is not null)
            {
                _replied |= connection.Received > 0;
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Closes <paramref name="connection"/> (counting its replies) and opens a new one; null if that fails.</summary>
    private async Task<StreamConnection?> ReplaceAsync(StreamConnection connection, CancellationToken stop)
    {
        _replied |= connection.Received > 0;
        await connection.DisposeAsync().ConfigureAwait(false);
        return await ConnectAsync(stop).ConfigureAwait(false);
    }

    private async Task<int> RunConnectionPerLineAsync(CancellationToken stop)
    {
        int number = 0;
        bool unanswered = false;
        while (await _lines.NextAsync(stop).ConfigureAwait(false) is { } line)
        {
            number++;
            StreamConnection? connection = await ConnectAsync(stop).ConfigureAwait(false);
            if (connection is null)
            {
                return ExitCodes.Address;
            }

            try
            {
                if (!await TrySendAsync(connection, line, stop).ConfigureAwait(false))
                {
                    return ExitCodes.Address;
                }

                int exitCode = await FinishAsync(connection, $" to line {number}", stop).ConfigureAwait(false);
                if (exitCode == ExitCodes.Address)
                {
                    return exitCode;
                }

                unanswered |= exitCode == ExitCodes.NoReply;
            }
            finally
            {
                _replied |= connection.Received > 0;
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }

        return unanswered ? ExitCodes.NoReply : ExitCodes.Success;
    }

    /// <summary>Half-closes, waits for the end of the replies, and judges them.</summary>
    private async Task<int> FinishAsync(StreamConnection connection, string what, CancellationToken stop)
    {
        await connection.HalfCloseAsync().ConfigureAwait(false);
        bool closed = await connection.WaitForEndAsync(_settings.Wait, stop).ConfigureAwait(false);
        if (connection.Failure is { } failure)
        {
            return Fail(ExitCodes.Address, $"the connection to {Uri} failed: {SendErrors.Describe(failure)}.");
        }

        if (connection.Received > 0)
        {
            return ExitCodes.Success;
        }

        return Fail(
            ExitCodes.NoReply,
            closed
                ? $"no reply{what} from {Uri}: the server closed the connection without answering."
                : $"no reply{what} from {Uri}: nothing came within {_settings.WaitText} (--wait).");
    }

    /// <summary>Opens a connection; on failure says why and returns null.</summary>
    private async Task<StreamConnection?> ConnectAsync(CancellationToken stop)
    {
        try
        {
            return await StreamConnection.OpenAsync(_settings.Target, _settings.Tls, _output, stop).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            Fail(ExitCodes.Address, $"Cannot connect to {Uri}: {SendErrors.Describe(e, _settings.Target)}.");
        }
        catch (OperationCanceledException) when (!stop.IsCancellationRequested)
        {
            Fail(ExitCodes.Address, $"Cannot connect to {Uri}: no answer within {StreamConnection.ConnectTimeout.TotalSeconds:0} s.");
        }
        catch (AuthenticationException e)
        {
            Fail(ExitCodes.Address, $"TLS with {Uri} failed: {e.Message}");
        }

        return null;
    }

    private async Task<bool> TrySendAsync(StreamConnection connection, byte[] line, CancellationToken stop)
    {
        try
        {
            await connection.SendAsync(line, stop).ConfigureAwait(false);
            return true;
        }
        catch (IOException e)
        {
            // What the server sent before it went is still printed.
            await connection.WaitForEndAsync(_settings.Wait, stop).ConfigureAwait(false);
            Fail(ExitCodes.Address, $"the connection to {Uri} failed while sending: {SendErrors.Describe(e)} (a server that answers one line per connection, as serve timestamp does, needs --connection-per-line).");
            return false;
        }
    }

    /// <summary>At a terminal: sends, or returns false when the connection turns out to be closed (the caller reconnects).</summary>
    private static async Task<bool> TrySendQuietlyAsync(StreamConnection connection, byte[] line, CancellationToken stop)
    {
        try
        {
            await connection.SendAsync(line, stop).ConfigureAwait(false);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private int Fail(int exitCode, string message)
    {
        _error.WriteLine($"socketserver: {message}");
        _error.Flush();
        return exitCode;
    }
}
