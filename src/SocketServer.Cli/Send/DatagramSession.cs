using System.Net.Sockets;

namespace SocketServer.Cli.Send;

/// <summary>
/// <c>send</c> to a datagram server (UDP or Unix datagram): each line is one datagram, and one reply is waited for, up
/// to <c>--wait</c>, before the next is sent. A Unix datagram client binds a path of its own in a new private directory
/// under the temporary directory, so that the server can reply, and removes both at the end (on a signal too).
/// </summary>
internal sealed class DatagramSession
{
    // The largest datagram: a UDP payload is at most 65,507 bytes; a Unix datagram may be larger than the buffer, and
    // is then cut to it.
    private const int MaxReply = 65536;

    private readonly SendSettings _settings;
    private readonly LineSource _lines;
    private readonly Stream _output;
    private readonly TextWriter _error;

    /// <summary>Creates the session.</summary>
    /// <param name="settings">The target and options.</param>
    /// <param name="lines">Where the lines come from.</param>
    /// <param name="output">Standard output, for the replies.</param>
    /// <param name="error">Standard error.</param>
    public DatagramSession(SendSettings settings, LineSource lines, Stream output, TextWriter error)
    {
        _settings = settings;
        _lines = lines;
        _output = output;
        _error = error;
    }

    private string Uri => _settings.Target.Text;

    /// <summary>Sends every line and prints every reply.</summary>
    /// <param name="stop">Cancelled by SIGINT or SIGTERM.</param>
    /// <returns>One of <see cref="ExitCodes"/>.</returns>
    public async Task<int> RunAsync(CancellationToken stop)
    {
        SendTarget target = _settings.Target;
        using Socket socket = target.CreateSocket();
        DirectoryInfo? clientDirectory = null;
        bool unanswered = false;
        try
        {
            if (target.Kind == ListenerKind.UnixDatagram)
            {
                // Created with mode 0700, so no other user can send to (or replace) the client's socket.
                clientDirectory = Directory.CreateTempSubdirectory("socketserver-send-");
                socket.Bind(new UnixDomainSocketEndPoint(Path.Combine(clientDirectory.FullName, "client.sock")));
            }

            // Connected: only the server's datagrams are received, and an ICMP port unreachable shows as a refusal.
            await socket.ConnectAsync(target.EndPoint, stop).ConfigureAwait(false);
            byte[] reply = new byte[MaxReply];
            int number = 0;
            while (await _lines.NextAsync(stop).ConfigureAwait(false) is { } line)
            {
                number++;
                await socket.SendAsync(line, SocketFlags.None, stop).ConfigureAwait(false);
                if (await ReceiveAsync(socket, reply, stop).ConfigureAwait(false) is { } length)
                {
                    await _output.WriteAsync(reply.AsMemory(0, length), stop).ConfigureAwait(false);
                    await _output.FlushAsync(stop).ConfigureAwait(false);
                }
                else
                {
                    unanswered = true;
                    Say($"no reply to line {number} from {Uri} within {_settings.WaitText} (--wait).");
                }
            }

            return unanswered ? ExitCodes.NoReply : ExitCodes.Success;
        }
        catch (SocketException e)
        {
            Say($"Cannot reach {Uri}: {SendErrors.Describe(e, target)}.");
            return ExitCodes.Address;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return unanswered ? ExitCodes.NoReply : ExitCodes.Success;
        }
        finally
        {
            socket.Dispose();
            clientDirectory?.Delete(recursive: true);
        }
    }

    /// <summary>One reply, or null when none came within <c>--wait</c>.</summary>
    private async Task<int?> ReceiveAsync(Socket socket, byte[] buffer, CancellationToken stop)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(stop);
        wait.CancelAfter(_settings.Wait);
        try
        {
            return await socket.ReceiveAsync(buffer, SocketFlags.None, wait.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!stop.IsCancellationRequested)
        {
            return null;
        }
    }

    private void Say(string message)
    {
        _error.WriteLine($"socketserver: {message}");
        _error.Flush();
    }
}
