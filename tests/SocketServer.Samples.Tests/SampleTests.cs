using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using SocketServer.Samples.Tests.Infrastructure;

namespace SocketServer.Samples.Tests;

/// <summary>Runs each sample as its users would, with <c>dotnet &lt;dll&gt;</c>, and checks what it prints.</summary>
public sealed partial class SampleTests
{
    // Generous bounds: they only fire when something is stuck.
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task ThreadedEchoGetsThreeRepliesFromRequestThreads()
    {
        using var sample = SampleProcess.Start("ThreadedEcho");

        Assert.Equal(0, await sample.WaitForExitAsync(s_wait));

        IReadOnlyList<string> output = sample.Output;
        Assert.StartsWith("Server loop running in thread: ", output[0], StringComparison.Ordinal);
        string[] received = [.. output.Where(line => line.StartsWith("Received: ", StringComparison.Ordinal))];
        Assert.Equal(3, received.Length);
        for (int i = 0; i < 3; i++)
        {
            Assert.Matches($@"^Received: Thread-\d+: Hello World {i + 1}$", received[i]);
        }

        Assert.Equal("", sample.Error);
    }

    [Fact]
    public async Task TimestampServerAnswersTheClientAndStopsOnSigterm()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "SIGTERM is sent with kill(1), which Windows lacks.");
        using var server = SampleProcess.Start("TimestampServer", "0");
        await server.WaitForLineAsync(line => line == "Waiting for connection...", s_wait);
        string listening = await server.WaitForLineAsync(line => line.StartsWith("listening on tcp://", StringComparison.Ordinal), s_wait);
        int port = int.Parse(ListeningPort().Match(listening).Groups[1].Value, CultureInfo.InvariantCulture);

        using (var client = SampleProcess.Start("TimestampClient", "127.0.0.1", port.ToString(CultureInfo.InvariantCulture)))
        {
            await client.StandardInput.WriteAsync("hello\nsecond line\n");
            client.StandardInput.Close();
            Assert.Equal(0, await client.WaitForExitAsync(s_wait));

            // The client prompts with "> " before each line it reads, so each answer follows a prompt.
            string[] replies = [.. client.Output.Select(line => Prompts().Replace(line, "")).Where(line => line.Length > 0)];
            Assert.Equal(2, replies.Length);
            Assert.Matches(TimestampedLine("hello"), replies[0]);
            Assert.Matches(TimestampedLine("second line"), replies[1]);
            Assert.Equal("", client.Error);
        }

        await server.WaitForLineAsync(line => line.StartsWith("Connected from 127.0.0.1:", StringComparison.Ordinal), s_wait);
        await server.WaitForLineAsync(line => line.StartsWith("Connected from 127.0.0.1:", StringComparison.Ordinal), s_wait);

        await server.TerminateAsync(s_wait);
        Assert.Equal(0, await server.WaitForExitAsync(s_wait));
        Assert.Equal("", server.Error);
    }

    [Fact]
    public async Task QuickStartEchoesALine()
    {
        using var sample = SampleProcess.Start("QuickStart", "0");
        string banner = await sample.WaitForLineAsync(line => line.StartsWith("Echo server on tcp://", StringComparison.Ordinal), s_wait);
        int port = int.Parse(ListeningPort().Match(banner).Groups[1].Value, CultureInfo.InvariantCulture);

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)
        {
            ReceiveTimeout = (int)s_wait.TotalMilliseconds,
            SendTimeout = (int)s_wait.TotalMilliseconds,
        };
        socket.Connect(new IPEndPoint(IPAddress.Loopback, port));
        using var reader = new StreamReader(new NetworkStream(socket), Encoding.UTF8);
        socket.Send("ping\n"u8);
        socket.Shutdown(SocketShutdown.Send);
        Assert.Equal("ping\n", await reader.ReadToEndAsync(TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData("INT")]
    [InlineData("TERM")]
    public async Task QuickStartStopsCleanlyOnCtrlCAndSigterm(string signal)
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "the signal is sent with kill(1), which Windows lacks.");
        using var sample = SampleProcess.Start("QuickStart", "0");
        await sample.WaitForLineAsync(line => line.StartsWith("Echo server on tcp://", StringComparison.Ordinal), s_wait);

        await sample.SignalAsync(signal, s_wait);

        // Exit code 0, as every other server here; the runtime's default for SIGINT would be 130.
        Assert.Equal(0, await sample.WaitForExitAsync(s_wait));
        Assert.Equal("", sample.Error);
    }

    [Fact]
    public async Task AsyncEchoEchoesLinesFromTwoClientsAtOnce()
    {
        using var sample = SampleProcess.Start("AsyncEcho", "0");
        string banner = await sample.WaitForLineAsync(line => line.StartsWith("Async echo server on tcp://", StringComparison.Ordinal), s_wait);
        int port = int.Parse(ListeningPort().Match(banner).Groups[1].Value, CultureInfo.InvariantCulture);

        // Two connections open at once, the second answered while the first is still open: no thread per connection
        // is needed for that, but the sample must not serve one client at a time either.
        using Socket first = Connect(port);
        using Socket second = Connect(port);
        first.Send("one\n"u8);
        second.Send("two\ntwo again\n"u8);
        second.Shutdown(SocketShutdown.Send);
        Assert.Equal("two\ntwo again\n", await ReadToEndAsync(second));
        first.Shutdown(SocketShutdown.Send);
        Assert.Equal("one\n", await ReadToEndAsync(first));
    }

    [Fact]
    public void ReadmeAsyncSectionIsTheAsyncEchoSample()
    {
        string readme = File.ReadAllText(Path.Combine(SamplePaths.RepositoryRoot, "README.md"));
        string sample = File.ReadAllText(Path.Combine(SamplePaths.RepositoryRoot, "samples", "AsyncEcho", "Program.cs"));
        MatchCollection blocks = CSharpBlock().Matches(readme);
        Assert.True(blocks.Count >= 2, "README.md has no second ```csharp block (the async sample).");
        Assert.Equal(Normalise(sample), Normalise(blocks[1].Groups[1].Value));
    }

    private static Socket Connect(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)
        {
            ReceiveTimeout = (int)s_wait.TotalMilliseconds,
            SendTimeout = (int)s_wait.TotalMilliseconds,
        };
        socket.Connect(new IPEndPoint(IPAddress.Loopback, port));
        return socket;
    }

    private static async Task<string> ReadToEndAsync(Socket socket)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        bounded.CancelAfter(s_wait);
        var received = new MemoryStream();
        byte[] buffer = new byte[256];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, bounded.Token)) > 0)
        {
            received.Write(buffer, 0, read);
        }

        return Encoding.UTF8.GetString(received.ToArray());
    }

    [Fact]
    public void ReadmeQuickStartIsTheQuickStartSample()
    {
        string readme = File.ReadAllText(Path.Combine(SamplePaths.RepositoryRoot, "README.md"));
        string sample = File.ReadAllText(Path.Combine(SamplePaths.RepositoryRoot, "samples", "QuickStart", "Program.cs"));
        Match block = CSharpBlock().Match(readme);
        Assert.True(block.Success, "README.md has no ```csharp block.");
        Assert.Equal(Normalise(sample), Normalise(block.Groups[1].Value));
    }

    private static string TimestampedLine(string line) =>
        $@"^\[\w{{3}} \w{{3}} [ \d]\d \d\d:\d\d:\d\d \d{{4}}\] {Regex.Escape(line)}$";

    private static string Normalise(string text) => text.ReplaceLineEndings("\n").Trim();

    [GeneratedRegex(@":(\d+)$")]
    private static partial Regex ListeningPort();

    [GeneratedRegex(@"^(> )+")]
    private static partial Regex Prompts();

    [GeneratedRegex(@"```csharp\r?\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();
}
