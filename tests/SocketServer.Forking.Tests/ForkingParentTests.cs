using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SocketServer.Forking.Tests;

/// <summary>
/// The parent's side of ForkingMixIn in this process: defaults, ActiveChildren, MaxChildren, BlockOnClose and
/// CollectChildren. The workers are the ForkingHost program, started through WorkerStartInfo.
/// </summary>
public sealed class ForkingParentTests
{
    private static readonly IPEndPoint s_loopback = new(IPAddress.Loopback, 0);

    [Fact]
    public void DefaultsMatchPython()
    {
        ForkingServerTests.SkipUnlessSupported();
        using var server = new ForkingTcpServer<StreamRequestHandler>(s_loopback);
        Assert.Equal(TimeSpan.FromSeconds(300), server.Timeout);
        Assert.Equal(40, server.MaxChildren);
        Assert.True(server.BlockOnClose);
        Assert.Equal(1, server.RequestsPerChild);
        Assert.Equal(0, server.SpareWorkers);
        Assert.Null(server.MaxRequestDuration);
        Assert.Null(server.ActiveChildren);
        Assert.False(ForkingWorker.IsWorkerProcess);
    }

    [Fact]
    public void CollectChildrenWaitsWhileMaxChildrenRequestsAreInProgress()
    {
        ForkingServerTests.SkipUnlessSupported();
        using var server = NewServer();
        server.MaxChildren = 2;
        using Socket first = SendHang(server);
        using Socket second = SendHang(server);
        IReadOnlyCollection<int> workers = server.ActiveChildren!;
        Assert.Equal(2, workers.Count);

        var collect = Task.Run(() => server.CollectChildren());
        // Both requests hang, so collecting cannot return until one worker goes; this check cannot fail spuriously.
        Assert.False(collect.IsCompleted);
        using (Process worker = Process.GetProcessById(workers.First()))
        {
            worker.Kill();
        }

        Assert.True(collect.Wait(HostProcess.Deadline), "CollectChildren did not return once a worker was gone");
        Assert.Single(server.ActiveChildren!);
        Assert.Contains("died before finishing its request", Assert.Single(server.Failures).Reason, StringComparison.Ordinal);
        KillAll(server);
    }

    [Fact]
    public void ABlockingCloseWaitsForEveryWorker()
    {
        ForkingServerTests.SkipUnlessSupported();
        var server = NewServer();
        server.MaxRequestDuration = TimeSpan.FromMilliseconds(300);
        using Socket client = SendHang(server);
        Assert.Single(server.ActiveChildren!);
        // The hung worker is killed at its time limit while ServerClose waits; then nothing is left.
        server.ServerClose();
        Assert.Empty(server.ActiveChildren!);
        Assert.Contains("request time limit", Assert.Single(server.Failures).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ANonBlockingCloseLeavesBusyWorkersToFinish()
    {
        ForkingServerTests.SkipUnlessSupported();
        var server = NewServer();
        server.BlockOnClose = false;
        using Socket client = SendHang(server);
        int pid = Assert.Single(server.ActiveChildren!);
        server.ServerClose();
        using Process worker = Process.GetProcessById(pid);
        Assert.False(worker.HasExited);
        worker.Kill();
        Assert.True(worker.WaitForExit(HostProcess.Deadline));
    }

    [Fact]
    public void AForeignChildProcessIsNeverReaped()
    {
        // CPython's simple_subprocess (Issue 1540386): a child the server did not start keeps its exit status.
        ForkingServerTests.SkipUnlessSupported();
        var foreignStart = new ProcessStartInfo("sh", ["-c", "read line; exit 72"]) { RedirectStandardInput = true };
        using Process foreign = Process.Start(foreignStart)!;
        using (var server = NewServer())
        {
            for (int i = 0; i < 3; i++)
            {
                Assert.Equal("x\n", Ask(server, "x"));
            }

            server.CollectChildren(blocking: true);
        }

        Assert.False(foreign.HasExited);
        foreign.StandardInput.WriteLine();
        foreign.StandardInput.Close();
        Assert.True(foreign.WaitForExit(HostProcess.Deadline));
        Assert.Equal(72, foreign.ExitCode);
    }

    [Fact]
    public void SpareWorkersAreStartedAheadAndServeTheNextRequests()
    {
        ForkingServerTests.SkipUnlessSupported();
        using var server = NewServer();
        server.SpareWorkers = 2;
        var loop = Task.Run(() => server.ServeForever(TimeSpan.FromMilliseconds(10)));
        try
        {
            // Started by the loop's ServiceActions before any request arrives.
            Assert.True(SpinWait.SpinUntil(() => server.ActiveChildren?.Count == 2, HostProcess.Deadline));
            int[] spares = [.. server.ActiveChildren!];
            int servedBy = int.Parse(AskServing(server, "pid").Trim(), System.Globalization.CultureInfo.InvariantCulture);
            Assert.Contains(servedBy, spares);
        }
        finally
        {
            Assert.True(Task.Run(server.Shutdown).Wait(HostProcess.Deadline));
            loop.Wait(HostProcess.Deadline);
        }

        server.ServerClose();
        Assert.Empty(server.ActiveChildren!);
    }

    /// <summary>Asks a server whose loop is running elsewhere.</summary>
    private static string AskServing(BaseServer server, string line)
    {
        using Socket client = Connect(server);
        client.Send(Encoding.ASCII.GetBytes(line + "\n"));
        return ReadToEnd(client);
    }

    private static RecordingForkingServer NewServer() => new(() => HostProcess.HostStartInfo("tcp", "127.0.0.1:0"));

    private static Socket SendHang(RecordingForkingServer server)
    {
        Socket client = Connect(server);
        client.Send("hang\n"u8);
        server.HandleRequest();
        return client;
    }

    /// <summary>Asks a server by running its HandleRequest here.</summary>
    private static string Ask(RecordingForkingServer server, string line)
    {
        using Socket client = Connect(server);
        client.Send(Encoding.ASCII.GetBytes(line + "\n"));
        server.HandleRequest();
        return ReadToEnd(client);
    }

    private static string ReadToEnd(Socket client)
    {
        byte[] buffer = new byte[256];
        var reply = new StringBuilder();
        int n;
        while ((n = client.Receive(buffer)) > 0)
        {
            reply.Append(Encoding.ASCII.GetString(buffer, 0, n));
        }

        return reply.ToString();
    }

    private static Socket Connect(BaseServer server)
    {
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 60_000 };
        client.Connect(server.ServerAddress);
        return client;
    }

    private static void KillAll(RecordingForkingServer server)
    {
        foreach (int pid in server.ActiveChildren ?? [])
        {
            using Process worker = Process.GetProcessById(pid);
            worker.Kill();
        }
    }
}
