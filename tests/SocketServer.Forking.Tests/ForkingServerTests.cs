using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace SocketServer.Forking.Tests;

/// <summary>
/// The forking servers end to end: the ForkingHost program is the parent, and its workers are the same program
/// started again, as a user's program would be.
/// </summary>
public sealed class ForkingServerTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("ssf-").FullName;

    public static TheoryData<string> Kinds => ["tcp", "udp", "unix", "unix-dgram"];

    [Theory]
    [MemberData(nameof(Kinds))]
    public void EachRequestGetsAFreshProcessAndCloseReapsThemAll(string kind)
    {
        SkipUnlessSupported();
        using var host = new HostProcess(kind, AddressFor(kind));
        string[] pids = [.. Enumerable.Range(0, 3).Select(_ => Peers.Ask(kind, host.Address, "pid", _directory).Trim())];
        Assert.All(pids, pid => Assert.Matches(@"^\d+$", pid));
        Assert.Equal(3, pids.Distinct().Count());
        Assert.DoesNotContain(host.Pid.ToString(CultureInfo.InvariantCulture), pids);
        Assert.Equal("hello world\n", Peers.Ask(kind, host.Address, "hello world", _directory));
        var (exitCode, closed) = host.Close();
        Assert.Equal(0, exitCode);
        Assert.Equal("closed active=0", closed);
    }

    [Fact]
    public void WarmWorkersServeManyRequestsEach()
    {
        SkipUnlessSupported();
        using var host = new HostProcess("tcp", "127.0.0.1:0", "2");
        string[] pids = [.. Enumerable.Range(0, 4).Select(_ => Peers.Ask("tcp", host.Address, "pid").Trim())];
        Assert.Equal(pids[0], pids[1]);
        Assert.Equal(pids[2], pids[3]);
        Assert.NotEqual(pids[0], pids[2]);
        Assert.Equal(0, host.Close().ExitCode);
    }

    [Fact]
    public void AWorkerWithoutARequestLimitServesEverything()
    {
        SkipUnlessSupported();
        using var host = new HostProcess("tcp", "127.0.0.1:0", "0", "1");
        string[] pids = [.. Enumerable.Range(0, 5).Select(_ => Peers.Ask("tcp", host.Address, "pid").Trim())];
        Assert.Single(pids.Distinct());
        Assert.Equal(0, host.Close().ExitCode);
    }

    [Fact]
    public void AnExceptionInTheWorkerGoesToHandleErrorThere()
    {
        SkipUnlessSupported();
        using var host = new HostProcess("tcp", "127.0.0.1:0");
        Assert.Equal(string.Empty, Peers.Ask("tcp", host.Address, "throw"));
        string handled = host.WaitForLine(l => l.StartsWith("handled-error", StringComparison.Ordinal));
        Assert.EndsWith("handler failed on purpose", handled, StringComparison.Ordinal);
        Assert.DoesNotContain($"pid={host.Pid} ", handled, StringComparison.Ordinal);
        Assert.Equal("after\n", Peers.Ask("tcp", host.Address, "after"));
        Assert.Equal(0, host.Close().ExitCode);
    }

    [Theory]
    [InlineData("failfast", 134)]
    [InlineData("kill", 137)]
    public void AWorkerThatDiesCostsOnlyItsRequest(string command, int exitCode)
    {
        SkipUnlessSupported();
        using var host = new HostProcess("tcp", "127.0.0.1:0");
        Assert.Equal(string.Empty, Peers.Ask("tcp", host.Address, command));
        string failure = host.WaitForLine(l => l.StartsWith("child-failure", StringComparison.Ordinal));
        Assert.Contains("serving 127.0.0.1:", failure, StringComparison.Ordinal);
        Assert.Contains("died before finishing its request", failure, StringComparison.Ordinal);
        Assert.Contains($"exit code {exitCode}", failure, StringComparison.Ordinal);
        Assert.Equal("still serving\n", Peers.Ask("tcp", host.Address, "still serving"));
        Assert.Equal(0, host.Close().ExitCode);
    }

    [Fact]
    public void AWorkerThatRunsOutOfMemoryNeverHarmsTheParent()
    {
        SkipUnlessSupported();
        // 256 MiB of heap for the parent and (inherited) its workers.
        using var host = new HostProcess(new Dictionary<string, string> { ["DOTNET_GCHeapHardLimit"] = "0x10000000" }, "tcp", "127.0.0.1:0");
        Assert.Equal(string.Empty, Peers.Ask("tcp", host.Address, "oom"));
        Assert.Contains("OutOfMemory", host.WaitForLine(l => l.StartsWith("handled-error", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Equal("fine\n", Peers.Ask("tcp", host.Address, "fine"));
        Assert.Equal(0, host.Close().ExitCode);
    }

    [Fact]
    public void AHungWorkerIsKilledAtItsTimeLimitWhileOthersAreServed()
    {
        SkipUnlessSupported();
        using var host = new HostProcess("tcp", "127.0.0.1:0", "1", "0", "40", "500");
        var hung = Task.Run(() => Peers.Ask("tcp", host.Address, "hang"));
        // Served meanwhile, by another worker.
        Assert.Equal("meanwhile\n", Peers.Ask("tcp", host.Address, "meanwhile"));
        string failure = host.WaitForLine(l => l.StartsWith("child-failure", StringComparison.Ordinal));
        Assert.Contains("killed after exceeding the request time limit", failure, StringComparison.Ordinal);
        Assert.True(hung.Wait(HostProcess.Deadline));
        Assert.Equal(string.Empty, hung.Result);
        Assert.Equal(0, host.Close().ExitCode);
    }

    [Fact]
    public void AnExitExceptionInAWorkerEndsOnlyThatWorker()
    {
        SkipUnlessSupported();
        using var host = new HostProcess("tcp", "127.0.0.1:0", "0");
        string first = Peers.Ask("tcp", host.Address, "pid").Trim();
        Assert.Equal(string.Empty, Peers.Ask("tcp", host.Address, "exit"));
        string second = Peers.Ask("tcp", host.Address, "pid").Trim();
        Assert.NotEqual(first, second);
        Assert.Equal(0, host.Close().ExitCode);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    internal static void SkipUnlessSupported()
    {
        if (!OperatingSystem.IsLinux() || IntPtr.Size != 8)
        {
            Assert.Skip("the forking servers pass descriptors with SCM_RIGHTS, implemented for 64-bit Linux");
        }
    }

    private string AddressFor(string kind) => kind.StartsWith("unix", StringComparison.Ordinal)
        ? Path.Combine(_directory, kind + ".sock")
        : new IPEndPoint(IPAddress.Loopback, 0).ToString();
}
