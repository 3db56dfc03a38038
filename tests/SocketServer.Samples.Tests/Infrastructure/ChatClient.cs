using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SocketServer.Samples.Tests.Infrastructure;

/// <summary>
/// A client of the ChatRoom sample: one loopback TCP connection, read line by line. Every wait is for a line or the
/// end of the stream, bounded only so that a stuck test fails instead of hanging.
/// </summary>
internal sealed class ChatClient : IDisposable
{
    public const string Welcome = "* welcome: choose a name with NICK <name>";

    // Generous: it only fires when something is stuck.
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(20);

    private readonly Socket _socket;
    private readonly StreamReader _reader;

    private ChatClient(Socket socket)
    {
        _socket = socket;
        _reader = new StreamReader(new NetworkStream(socket, ownsSocket: false), Encoding.UTF8);
    }

    /// <summary>Connects and reads the greeting.</summary>
    /// <param name="port">The server's port on 127.0.0.1.</param>
    /// <param name="receiveBufferSize">A receive buffer to set before connecting (TCP agrees its window scale then), or null.</param>
    public static async Task<ChatClient> ConnectAsync(int port, int? receiveBufferSize = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        if (receiveBufferSize is { } size)
        {
            socket.ReceiveBufferSize = size;
        }

        try
        {
            using CancellationTokenSource bounded = Bounded();
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), bounded.Token);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var client = new ChatClient(socket);
        await client.ExpectAsync(Welcome);
        return client;
    }

    /// <summary>Connects, reads the greeting and takes <paramref name="name"/>; returns once the server confirmed it.</summary>
    public static async Task<ChatClient> JoinAsync(int port, string name, int? receiveBufferSize = null)
    {
        ChatClient client = await ConnectAsync(port, receiveBufferSize);
        await client.SendAsync($"NICK {name}");
        await client.ExpectAsync($"* you are {name}");
        return client;
    }

    /// <summary>Sends one line; its newline is added.</summary>
    public Task SendAsync(string line) => SendRawAsync(Encoding.UTF8.GetBytes(line + "\n"));

    /// <summary>Sends bytes as they are (a short message leaves in one segment).</summary>
    public async Task SendRawAsync(byte[] bytes)
    {
        using CancellationTokenSource bounded = Bounded();
        int sent = 0;
        while (sent < bytes.Length)
        {
            sent += await _socket.SendAsync(bytes.AsMemory(sent), SocketFlags.None, bounded.Token);
        }
    }

    /// <summary>The next line, or null at the end of the stream.</summary>
    public async Task<string?> ReadLineAsync()
    {
        using CancellationTokenSource bounded = Bounded();
        try
        {
            return await _reader.ReadLineAsync(bounded.Token);
        }
        catch (OperationCanceledException) when (bounded.IsCancellationRequested)
        {
            Assert.Fail($"No line from the chat server within {s_wait}.");
            return null;
        }
    }

    /// <summary>Reads the next line and checks it.</summary>
    public async Task ExpectAsync(string expected) => Assert.Equal(expected, await ReadLineAsync());

    /// <summary>Checks that the server closed the connection, with nothing more to read.</summary>
    public async Task ExpectEndAsync() => Assert.Null(await ReadLineAsync());

    /// <summary>
    /// The complete lines that arrive until the stream ends or is reset. An unterminated tail is not a line: a
    /// connection the server aborts may stop in the middle of one.
    /// </summary>
    public async Task<List<string>> ReadToEndAsync()
    {
        var text = new StringBuilder();
        char[] buffer = new char[16 * 1024];
        using CancellationTokenSource bounded = Bounded();
        try
        {
            int read;
            while ((read = await _reader.ReadAsync(buffer, bounded.Token)) > 0)
            {
                text.Append(buffer, 0, read);
            }
        }
        catch (IOException)
        {
            // Reset: what came before it is what the client got.
        }
        catch (OperationCanceledException) when (bounded.IsCancellationRequested)
        {
            Assert.Fail($"The chat server did not end the stream within {s_wait}.");
        }

        string[] pieces = text.ToString().Split('\n');
        return [.. pieces[..^1]];
    }

    /// <summary>Closes the connection at once with a reset (SO_LINGER 0), as a client that crashes or loses its network.</summary>
    public void Reset()
    {
        _socket.LingerState = new LingerOption(true, 0);
        Dispose();
    }

    public void Dispose()
    {
        _reader.Dispose();
        _socket.Dispose();
    }

    private static CancellationTokenSource Bounded()
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        source.CancelAfter(s_wait);
        return source;
    }
}
