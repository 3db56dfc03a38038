using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using SocketServer.Hosting.Tests.Infrastructure;

namespace SocketServer.Hosting.Tests;

/// <summary>samples/HostedEcho run as a process: ready once its servers log that they listen, echoes, and drains on SIGTERM with exit code 0.</summary>
public sealed partial class HostedEchoTests
{
    [Theory]
    [InlineData("async")]
    [InlineData("threading")]
    [InlineData("sync")]
    [InlineData("forking")]
    public async Task HostedEchoEchoesOverTcpAndUdpAndStopsCleanlyOnSigterm(string mode)
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "SIGTERM is sent with kill(1), which Windows lacks.");
        // Each request in a worker process that is the sample started again: its host starts too, builds the same
        // forking servers, and serves the request its parent hands it.
        Assert.SkipWhen(mode == "forking" && !(OperatingSystem.IsLinux() && Environment.Is64BitProcess), "the forking servers need 64-bit Linux.");
        // appsettings.json's endpoints on free ports instead of 10003, from the command line as a user would override them.
        using var sample = SampleProcess.Start(
            "HostedEcho",
            "--SocketServer:Servers:echo:Endpoints:0=tcp://127.0.0.1:0",
            "--SocketServer:Servers:echo:Endpoints:1=udp://127.0.0.1:0",
            $"--SocketServer:Servers:echo:Mode={mode}");

        int tcpPort = Port(await sample.WaitForLineAsync(static l => l.Contains("Server echo listening on tcp://", StringComparison.Ordinal)));
        int udpPort = Port(await sample.WaitForLineAsync(static l => l.Contains("Server echo listening on udp://", StringComparison.Ordinal)));
        await sample.WaitForLineAsync(static l => l.Contains("Application started", StringComparison.Ordinal));

        using (Socket client = Clients.Connect(new IPEndPoint(IPAddress.Loopback, tcpPort)))
        {
            Assert.Equal("hello", Clients.RoundTrip(client, "hello"));
            Assert.Equal("hosted", Clients.RoundTrip(client, "hosted"));
        }

        Assert.Equal("datagram", Clients.DatagramRoundTrip(new IPEndPoint(IPAddress.Loopback, udpPort), "datagram"));

        await sample.TerminateAsync();
        Assert.Equal(0, await sample.WaitForExitAsync());
        Assert.Contains(sample.Output, l => l.Contains($"Server echo on tcp://127.0.0.1:{tcpPort} stopped: ", StringComparison.Ordinal));
        Assert.Contains(sample.Output, l => l.Contains($"Server echo on udp://127.0.0.1:{udpPort} stopped: ", StringComparison.Ordinal));
        Assert.Equal("", sample.Error);
    }

    private static int Port(string line) => int.Parse(PortPattern().Match(line).Groups[1].Value, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"127\.0\.0\.1:(\d+)")]
    private static partial Regex PortPattern();
}
