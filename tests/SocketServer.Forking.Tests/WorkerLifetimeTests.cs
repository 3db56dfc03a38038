using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using SocketServer.TestShared;

namespace SocketServer.Forking.Tests;

/// <summary>
/// No worker outlives its parent: one holding a client dies with a parent killed by SIGKILL, a drain waits for busy
/// workers within its grace period and kills the rest, and a close tells idle workers to go.
/// </summary>
public sealed class WorkerLifetimeTests
{
    [Fact]
    public void AWorkerHoldingAClientDiesWithItsParentKilledBySigkill()
    {
        ForkingServerTests.SkipUnlessSupported();
        using var host = new HostProcess("tcp", "127.0.0.1:0");
        using Socket client = Connect(IPEndPoint.Parse(host.Address));
        client.Send("hold\n"u8);
        using ProcessExitWatch worker = ProcessExitWatch.Open(ReadPid(client));
        try
        {
            host.KillParentOnly();
            Assert.True(worker.WaitForExit(HostProcess.Deadline), $"worker {worker.Pid} outlived its parent");
            // The kernel closed the client's connection with the worker.
            Assert.Equal(string.Empty, ReadToEndOrReset(client));
        }
        finally
        {
            KillIfAlive(worker);
        }
    }

    [Fact]
    public void ADrainWaitsForABusyWorkerAndKillsTheOneStillBusyWhenTheGracePeriodEnds()
    {
        ForkingServerTests.SkipUnlessSupported();
        var time = new FakeTimeProvider();
        using var server = new RecordingForkingServer(() => HostProcess.HostStartInfo("tcp", "127.0.0.1:0")) { TimeProvider = time };
        using Socket finishing = Hold(server, out ProcessExitWatch finishingWorker);
        using Socket stuck = Hold(server, out ProcessExitWatch stuckWorker);
        try
        {
            // No loop runs, so the drain has taken note of both busy workers by the time it returns its task.
            Task<DrainResult> drain = server.ShutdownAsync(TimeSpan.FromSeconds(10));
            Assert.False(drain.IsCompleted);

            // One request finishes within the grace period: its worker reports it and exits (one request per child).
            finishing.Send("bye\n"u8);
            Assert.Equal("bye\n", ReadToEndOrReset(finishing));
            Assert.True(finishingWorker.WaitForExit(HostProcess.Deadline));
            // The other is still busy and the clock has not moved: the drain cannot have ended.
            Assert.False(drain.IsCompleted);

            time.Advance(TimeSpan.FromSeconds(10));
            Assert.True(drain.Wait(HostProcess.Deadline), "the drain did not end with its grace period");
            Assert.Equal("1 completed, 0 closed idle, 1 aborted", drain.Result.ToString());
            Assert.True(stuckWorker.WaitForExit(HostProcess.Deadline), "the worker still busy was not killed");
            Assert.Equal(string.Empty, ReadToEndOrReset(stuck));

            server.ServerClose();
            Assert.Empty(server.ActiveChildren!);
            ChildProcessFailure failure = Assert.Single(server.Failures);
            Assert.Equal(stuckWorker.Pid, failure.ProcessId);
            Assert.Contains("drain's grace period", failure.Reason, StringComparison.Ordinal);
        }
        finally
        {
            KillIfAlive(finishingWorker);
            KillIfAlive(stuckWorker);
            finishingWorker.Dispose();
            stuckWorker.Dispose();
        }
    }

    [Fact]
    public void ANonBlockingCloseTellsIdleWorkersToExitAndLeavesTheBusyToFinishWithoutWaiting()
    {
        ForkingServerTests.SkipUnlessSupported();
        var server = new RecordingForkingServer(() => HostProcess.HostStartInfo("tcp", "127.0.0.1:0"))
        {
            BlockOnClose = false,
            RequestsPerChild = 0,
            MaxChildren = 2,
        };
        // Two busy workers (MaxChildren of them, which a close must not wait on either) and an idle third.
        using Socket first = Hold(server, out ProcessExitWatch firstWorker);
        using Socket second = Hold(server, out ProcessExitWatch secondWorker);
        using ProcessExitWatch idleWorker = ProcessExitWatch.Open(AskPid(server));
        try
        {
            Assert.Equal(3, server.ActiveChildren!.Count);
            Assert.True(Task.Run(server.ServerClose).Wait(HostProcess.Deadline), "a close without BlockOnClose waited");
            Assert.True(idleWorker.WaitForExit(HostProcess.Deadline), "the idle worker was not told to exit");

            // The busy ones were not waited for, nor stopped: they finish their requests, then exit.
            Assert.False(firstWorker.HasExited);
            Assert.False(secondWorker.HasExited);
            foreach ((Socket client, ProcessExitWatch worker) in new[] { (first, firstWorker), (second, secondWorker) })
            {
                client.Send("bye\n"u8);
                Assert.Equal("bye\n", ReadToEndOrReset(client));
                Assert.True(worker.WaitForExit(HostProcess.Deadline), $"busy worker {worker.Pid} did not exit after its request");
            }
        }
        finally
        {
            foreach (ProcessExitWatch worker in new[] { firstWorker, secondWorker, idleWorker })
            {
                KillIfAlive(worker);
            }

            firstWorker.Dispose();
            secondWorker.Dispose();
        }
    }

    /// <summary>Hands a "hold" request to a worker and returns the client, with a watch on the worker that holds it.</summary>
    private static Socket Hold(RecordingForkingServer server, out ProcessExitWatch worker)
    {
        Socket client = Connect(server.ServerAddress);
        client.Send("hold\n"u8);
        server.HandleRequest();
        worker = ProcessExitWatch.Open(ReadPid(client));
        return client;
    }

    private static int AskPid(RecordingForkingServer server)
    {
        using Socket client = Connect(server.ServerAddress);
        client.Send("pid\n"u8);
        server.HandleRequest();
        return int.Parse(ReadToEndOrReset(client).Trim(), CultureInfo.InvariantCulture);
    }

    private static int ReadPid(Socket client) => int.Parse(ReadLine(client), CultureInfo.InvariantCulture);

    /// <summary>Reads one line, byte by byte, so nothing after it is consumed.</summary>
    private static string ReadLine(Socket client)
    {
        var line = new StringBuilder();
        byte[] one = new byte[1];
        while (client.Receive(one) == 1 && one[0] != '\n')
        {
            line.Append((char)one[0]);
        }

        return line.ToString();
    }

    private static string ReadToEndOrReset(Socket client)
    {
        var reply = new StringBuilder();
        byte[] buffer = new byte[256];
        try
        {
            int n;
            while ((n = client.Receive(buffer)) > 0)
            {
                reply.Append(Encoding.ASCII.GetString(buffer, 0, n));
            }
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            // A killed worker's connection may be reset rather than closed.
        }

        return reply.ToString();
    }

    private static Socket Connect(EndPoint address)
    {
        var client = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 60_000, SendTimeout = 60_000 };
        client.Connect(address);
        return client;
    }

    /// <summary>Kills a worker this test started (through its server) if a failed assertion left it running.</summary>
    private static void KillIfAlive(ProcessExitWatch worker)
    {
        if (!worker.HasExited)
        {
            using var process = System.Diagnostics.Process.GetProcessById(worker.Pid);
            process.Kill();
        }
    }
}
