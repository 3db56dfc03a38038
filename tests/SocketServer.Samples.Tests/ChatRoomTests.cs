using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using SocketServer.Samples.Tests.Infrastructure;

namespace SocketServer.Samples.Tests;

/// <summary>
/// The ChatRoom sample run as a child process on a free port, with clients on loopback. Every step waits for a line
/// (or the end of a stream): the protocol answers each command, and every broadcast is awaited where it arrives.
/// </summary>
public sealed partial class ChatRoomTests : IAsyncLifetime
{
    private const string BadName = "! bad name: 1 to 32 letters, digits, _ or -";

    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(20);

    private SampleProcess? _server;
    private int _port;

    private SampleProcess Server => _server!;

    public async ValueTask InitializeAsync()
    {
        _server = SampleProcess.Start("ChatRoom", "0");
        string banner = await Server.WaitForLineAsync(line => line.StartsWith("Chat room on tcp://", StringComparison.Ordinal), s_wait);
        Match address = ReadyLine().Match(banner);
        Assert.True(address.Success, $"Unexpected ready line: {banner}");
        _port = int.Parse(address.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    public ValueTask DisposeAsync()
    {
        _server?.Dispose();
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task ThreeClientsChatAndSeeEachOtherComeAndGo()
    {
        using ChatClient ann = await ChatClient.JoinAsync(_port, "ann");
        using ChatClient bob = await ChatClient.JoinAsync(_port, "bob");
        await ann.ExpectAsync("* bob joined");
        using ChatClient cat = await ChatClient.JoinAsync(_port, "cat");
        await ann.ExpectAsync("* cat joined");
        await bob.ExpectAsync("* cat joined");

        await ann.SendAsync("hello all");
        await bob.ExpectAsync("ann: hello all");
        await cat.ExpectAsync("ann: hello all");
        // bob answers after ann's message reached him, so had ann been sent her own message it would come first.
        await bob.SendAsync("hi ann");
        await ann.ExpectAsync("bob: hi ann");
        await cat.ExpectAsync("bob: hi ann");

        await cat.SendAsync("/who");
        await cat.ExpectAsync("* here: ann, bob, cat");

        // A client that just goes away, then one that says /quit.
        bob.Dispose();
        await ann.ExpectAsync("* bob left");
        await cat.ExpectAsync("* bob left");
        await cat.SendAsync("/quit");
        await cat.ExpectAsync("* bye");
        await cat.ExpectEndAsync();
        await ann.ExpectAsync("* cat left");

        await ann.SendAsync("/who");
        await ann.ExpectAsync("* here: ann");
        Assert.Equal("", Server.Error);
    }

    [Fact]
    public async Task WhatAClientSentBeforeItDisconnectedStillReachesTheOthers()
    {
        using ChatClient ann = await ChatClient.JoinAsync(_port, "ann");
        using ChatClient eve = await ChatClient.JoinAsync(_port, "eve");
        await ann.ExpectAsync("* eve joined");

        // Two lines, the last without its newline, then the close at once: both are delivered before the departure.
        await eve.SendRawAsync("last words\nno newline"u8.ToArray());
        eve.Dispose();
        await ann.ExpectAsync("eve: last words");
        await ann.ExpectAsync("eve: no newline");
        await ann.ExpectAsync("* eve left");
        Assert.Equal("", Server.Error);
    }

    [Fact]
    public async Task AClientThatVanishesWhileAMessageIsOnItsWayCostsTheOthersNothing()
    {
        using ChatClient ann = await ChatClient.JoinAsync(_port, "ann");
        using ChatClient bob = await ChatClient.JoinAsync(_port, "bob");
        await ann.ExpectAsync("* bob joined");
        using ChatClient cat = await ChatClient.JoinAsync(_port, "cat");
        await ann.ExpectAsync("* cat joined");
        await bob.ExpectAsync("* cat joined");

        // bob resets his connection while ann's message is on its way to everyone: cat gets both, in either order.
        bob.Reset();
        await ann.SendAsync("still there?");
        string[] received = [(await cat.ReadLineAsync())!, (await cat.ReadLineAsync())!];
        Assert.Equal(["* bob left", "ann: still there?"], received.Order(StringComparer.Ordinal));
        await ann.ExpectAsync("* bob left");

        await cat.SendAsync("yes");
        await ann.ExpectAsync("cat: yes");
        Assert.Equal("", Server.Error);
    }

    [Fact]
    public async Task NamesAreCheckedAndUniqueIgnoringCase()
    {
        using ChatClient first = await ChatClient.ConnectAsync(_port);
        await first.SendAsync("anyone here?");
        await first.ExpectAsync("! choose a name first");
        await first.SendAsync("/who");
        await first.ExpectAsync("* nobody here");
        foreach (string bad in (string[])["NICK", "NICK  ", "NICK two words", "NICK h\u00e9l\u00e8ne", "NICK semi;colon", "NICK " + new string('a', 33)])
        {
            await first.SendAsync(bad);
            await first.ExpectAsync(BadName);
        }

        await first.SendAsync("NICK Ann_the-1st");
        await first.ExpectAsync("* you are Ann_the-1st");
        await first.SendAsync("NICK other");
        await first.ExpectAsync("! you already have a name");

        using ChatClient second = await ChatClient.ConnectAsync(_port);
        await second.SendAsync("NICK Ann_the-1st");
        await second.ExpectAsync("! name taken");
        await second.SendAsync("NICK ann_THE-1ST");
        await second.ExpectAsync("! name taken");
        string longest = new('z', 32);
        await second.SendAsync("NICK " + longest);
        await second.ExpectAsync($"* you are {longest}");
        await first.ExpectAsync($"* {longest} joined");

        await second.SendAsync("/nope");
        await second.ExpectAsync("! unknown command");
        await second.SendAsync("/who");
        await second.ExpectAsync($"* here: Ann_the-1st, {longest}");
        Assert.Equal("", Server.Error);
    }

    [Fact]
    public async Task ALineOverTheCapIsRefusedAndItsConnectionClosed()
    {
        using ChatClient watcher = await ChatClient.JoinAsync(_port, "watcher");
        using ChatClient talker = await ChatClient.JoinAsync(_port, "talker");
        await watcher.ExpectAsync("* talker joined");

        // The longest line accepted: 511 characters and the newline, 512 bytes.
        string longest = new('x', 511);
        await talker.SendAsync(longest);
        await watcher.ExpectAsync("talker: " + longest);

        // One byte more. It leaves in one segment, so the server has read all of it when it closes (no reset).
        await talker.SendAsync(new string('y', 512));
        await talker.ExpectAsync("! line too long");
        await talker.ExpectEndAsync();
        await watcher.ExpectAsync("* talker left");
        Assert.Equal("", Server.Error);
    }

    [Fact]
    public async Task AClientThatStopsReadingIsCutOffAndTheOthersMissNothing()
    {
        // slow never reads after joining; a small receive buffer makes it fill up sooner (Linux's minimum applies).
        using ChatClient slow = await ChatClient.JoinAsync(_port, "slow", receiveBufferSize: 4096);
        using ChatClient ann = await ChatClient.JoinAsync(_port, "ann");
        using ChatClient bob = await ChatClient.JoinAsync(_port, "bob");
        await ann.ExpectAsync("* bob joined");

        // ann talks in batches and bob reads each batch whole before the next, so bob is never behind by more than a
        // batch (well under his outbox) while slow's socket buffers, then the server's pipe, then its outbox fill up.
        // Each batch is awaited where it arrives, until the room announces that slow was cut off.
        const int Batch = 100;
        const int MaxLines = 200_000;
        string padding = new('p', 200);
        int sent = 0;
        bool slowLeft = false;
        while (!slowLeft)
        {
            Assert.True(sent < MaxLines, $"slow was not cut off after {sent} lines of about {padding.Length} bytes.");
            await ann.SendRawAsync(Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(sent, Batch).Select(i => $"msg {i} {padding}\n"))));
            for (int i = sent; i < sent + Batch; i++)
            {
                string? line = await bob.ReadLineAsync();
                if (line == "* slow left" && !slowLeft)
                {
                    slowLeft = true;
                    line = await bob.ReadLineAsync();
                }

                Assert.Equal($"ann: msg {i} {padding}", line);
            }

            sent += Batch;
        }

        // ann hears of it too (it is the only line she was sent), and the room goes on without slow.
        await ann.ExpectAsync("* slow left");
        await ann.SendAsync("after");
        await bob.ExpectAsync("ann: after");

        // Reading now, slow gets the conversation from its start, in order, up to where it was cut off, then
        // "! too slow" if it reads before the library's MinSendRate gives up on it. That race is the library's timer
        // against this test's pace, so the farewell is not required: only that nothing follows it.
        List<string> got = await slow.ReadToEndAsync();
        bool farewell = got.Count > 0 && got[^1] == "! too slow";
        List<string> conversation = farewell ? got[..^1] : got;
        string[] expected = ["* ann joined", "* bob joined", .. Enumerable.Range(0, sent).Select(i => $"ann: msg {i} {padding}")];
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"slow was cut off within {sent} lines; it read {conversation.Count} lines of the conversation, farewell: {farewell}; server stderr: [{Server.Error}]");
        Assert.True(conversation.Count < expected.Length, $"slow got all {conversation.Count} lines: it was never behind.");
        Assert.Equal(expected[..conversation.Count], conversation);
    }

    [Theory]
    [InlineData("INT")]
    [InlineData("TERM")]
    public async Task StopsCleanlyOnCtrlCAndSigterm(string signal)
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "the signal is sent with kill(1), which Windows lacks.");
        using ChatClient ann = await ChatClient.JoinAsync(_port, "ann");
        using ChatClient bob = await ChatClient.JoinAsync(_port, "bob");
        await ann.ExpectAsync("* bob joined");

        await Server.SignalAsync(signal, s_wait);

        Assert.Equal(0, await Server.WaitForExitAsync(s_wait));
        Assert.Equal("", Server.Error);
        // Each connection ends as if its client had left: the other may hear of it before its own end of stream.
        Assert.Empty((await ann.ReadToEndAsync()).Except(["* bob left"]));
        Assert.Empty((await bob.ReadToEndAsync()).Except(["* ann left"]));
    }

    [GeneratedRegex(@"^Chat room on tcp://127\.0\.0\.1:(\d+)$")]
    private static partial Regex ReadyLine();
}
