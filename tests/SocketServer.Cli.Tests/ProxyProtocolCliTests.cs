using System.Text;
using SocketServer.Cli.Tests.Infrastructure;

namespace SocketServer.Cli.Tests;

/// <summary>
/// <c>serve --proxy-protocol</c> in every mode: the header is taken off and the data after it served; a malformed
/// header closes the connection with one line naming the proxy and the reason, and the server goes on; the proxy
/// options without <c>--proxy-protocol</c>, or on datagram listeners only, are refused.
/// </summary>
public sealed class ProxyProtocolCliTests
{
    [Theory]
    [InlineData("sync")]
    [InlineData("threading")]
    [InlineData("forking")]
    [InlineData("async")]
    [InlineData("async", "io_uring")] // the first proxied connection stopped the listener before the header read left the loop
    public void EchoBehindAProxyServesTheDataAfterTheHeaderAndRefusesABadHeader(string mode, string? transport = null)
    {
        Assert.SkipWhen(mode == "forking" && !(OperatingSystem.IsLinux() && IntPtr.Size == 8), "the forking mode passes descriptors with SCM_RIGHTS, implemented for 64-bit Linux");
        using CliProcess cli = CliProcess.Start(
            [
                "serve", "echo", "--tcp", "127.0.0.1:0", "--mode", mode, "--proxy-protocol", "--proxy-trust", "127.0.0.1", "--proxy-header-timeout", "10",
                .. transport is null ? Array.Empty<string>() : ["--transport", transport],
            ]);
        ReadyAddress address = Assert.Single(cli.WaitUntilListening());
        Assert.SkipWhen(cli.Process.Stderr.Contains("serving on epoll instead of io_uring", StringComparison.Ordinal), $"io_uring is unavailable here: {cli.Process.Stderr}");

        // Header and data in one write: only the data comes back.
        Assert.Equal("hello\n"u8.ToArray(), Clients.StreamRoundTrip(address.EndPoint, [.. "PROXY TCP4 203.0.113.7 127.0.0.1 4242 80\r\n"u8, .. "hello\n"u8]));
        Assert.Empty(Clients.StreamRoundTrip(address.EndPoint, "PROXY TCP4 203.0.113.7 127.0.0.1 4242 080\r\nhello\n"u8.ToArray()));
        Assert.Equal("again\n"u8.ToArray(), Clients.StreamRoundTrip(address.EndPoint, [.. "PROXY UNKNOWN\r\n"u8, .. "again\n"u8]));

        Assert.Equal(0, cli.Stop());
        Assert.Matches(@"socketserver: tcp://127\.0\.0\.1:\d+: closed the connection from 127\.0\.0\.1:\d+ before serving it: a v1 line with a port that is not a decimal 0-65535 without leading zeros \(PROXY protocol\)\.\n", cli.Process.Stderr.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void AUnixListenerTrustsItsPeersWhenTold()
    {
        using var directory = new TempDirectory();
        string path = Path.Combine(directory.Path, "s.sock");
        using CliProcess cli = CliProcess.Start("serve", "echo", "--unix", path, "--mode", "async", "--proxy-protocol", "--proxy-trust", "unix");
        ReadyAddress address = Assert.Single(cli.WaitUntilListening());
        byte[] header = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, 0x20, 0x00, 0x00, 0x00];
        Assert.Equal("local check\n"u8.ToArray(), Clients.StreamRoundTrip(address.EndPoint, [.. header, .. "local check\n"u8]));
        Assert.Equal(0, cli.Stop());
    }

    [Fact]
    public void AnUntrustedSourceIsClosedUnread()
    {
        using CliProcess cli = CliProcess.Start("serve", "echo", "--tcp", "127.0.0.1:0", "--proxy-protocol", "--proxy-trust", "10.0.0.0/8");
        ReadyAddress address = Assert.Single(cli.WaitUntilListening());
        Assert.Empty(Clients.StreamRoundTrip(address.EndPoint, "PROXY UNKNOWN\r\nhello\n"u8.ToArray()));
        Assert.Equal(0, cli.Stop());
        Assert.Contains("not a trusted proxy", cli.Process.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void TheProxyOptionsNeedTheProtocolAndAStreamListener()
    {
        ToolRun trustAlone = CliProcess.Run("serve", "echo", "--tcp", "127.0.0.1:0", "--proxy-trust", "10.0.0.0/8");
        Assert.Equal(ExitCodes.Usage, trustAlone.ExitCode);
        Assert.Equal("socketserver: --proxy-trust and --proxy-header-timeout need --proxy-protocol: a listener never looks for a PROXY header unless told to.\n", trustAlone.Stderr.ReplaceLineEndings("\n"));

        ToolRun datagrams = CliProcess.Run("serve", "echo", "--udp", "127.0.0.1:0", "--proxy-protocol");
        Assert.Equal(ExitCodes.Address, datagrams.ExitCode);
        Assert.Equal("socketserver: the PROXY protocol (--proxy-protocol) needs a stream listener (--tcp or --unix); UDP and Unix datagram listeners cannot use it.\n", datagrams.Stderr.ReplaceLineEndings("\n"));
        Assert.Equal("", Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(datagrams.Stdout)));
    }
    [Theory]
    [InlineData("10.0.0.1/8", "10.0.0.0/8", "10.0.0.1/32")]
    [InlineData("2001:db8::7/32", "2001:db8::/32", "2001:db8::7/128")]
    public void ANetworkWithHostBitsIsRefusedRatherThanWidened(string written, string network, string oneAddress)
    {
        // .NET's IPNetwork.TryParse accepts "10.0.0.1/8" as all of 10.0.0.0/8: one proxy meant, a whole network trusted.
        ToolRun run = CliProcess.Run("serve", "echo", "--tcp", "127.0.0.1:0", "--proxy-protocol", "--proxy-trust", written);
        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Equal(
            $"socketserver: --proxy-trust: '{written}' has bits set after the prefix, so it would trust all of {network}; write {network}, or {oneAddress} for the one address\nRun 'socketserver serve --help' for usage.\n",
            run.Stderr.ReplaceLineEndings("\n"));
        Assert.Equal("", run.Stdout);
    }
}
