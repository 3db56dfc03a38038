using System.Globalization;
using System.Net.Sockets;
using SocketServer.Cli.Tests.Infrastructure;
using SocketServer.TestShared;

namespace SocketServer.Cli.Tests;

/// <summary>
/// <c>serve --mode forking</c> stops without leaving a worker behind: a worker holding an idle client used to keep
/// running, re-parented to init, after the command had exited 0.
/// </summary>
public sealed class ForkingStopTests
{
    [Fact]
    public void SigtermDrainsTheWorkerHoldingAnIdleClientAndLeavesNoWorkerBehind()
    {
        if (!OperatingSystem.IsLinux() || IntPtr.Size != 8)
        {
            Assert.Skip("the forking mode passes descriptors with SCM_RIGHTS, implemented for 64-bit Linux");
        }

        using CliProcess cli = CliProcess.Start("serve", "echo", "--tcp", "127.0.0.1:0", "--mode", "forking", "--drain-timeout", "1");
        ReadyAddress address = Assert.Single(cli.WaitUntilListening());
        using Socket idle = Clients.Connect(address.EndPoint);
        // After a round trip a worker serves this connection and waits for its next line, busy as far as the parent knows.
        idle.Send("ping\n"u8);
        byte[] buffer = new byte[5];
        Assert.Equal(5, idle.Receive(buffer));
        using ProcessExitWatch worker = ProcessExitWatch.Open(Assert.Single(ChildrenOf(cli.Process.Id)));
        try
        {
            Assert.Equal(0, cli.Stop(Signals.SIGTERM));
            Assert.True(worker.WaitForExit(TestTimeouts.Long), $"worker {worker.Pid} outlived the command");
            // The drain waited its second for the request, then killed the worker and counted it.
            Assert.EndsWith("drained: 0 completed, 0 closed idle, 1 aborted\n", cli.Process.Stdout.ReplaceLineEndings("\n"), StringComparison.Ordinal);
            Assert.Contains($"{worker.Pid}", cli.Process.Stderr, StringComparison.Ordinal);
            Assert.Contains("drain's grace period", cli.Process.Stderr, StringComparison.Ordinal);
            try
            {
                Assert.Equal(0, idle.Receive(buffer));
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
            {
            }
        }
        finally
        {
            if (!worker.HasExited)
            {
                // Started by the command this test started; by its pid only.
                using var process = System.Diagnostics.Process.GetProcessById(worker.Pid);
                process.Kill();
            }
        }
    }

    /// <summary>The pids whose parent is <paramref name="parent"/>, from /proc/PID/stat (the field after the name).</summary>
    private static List<int> ChildrenOf(int parent)
    {
        var children = new List<int>();
        foreach (string directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
            {
                continue;
            }

            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(directory, "stat"));
            }
            catch (IOException)
            {
                // It exited while we looked.
                continue;
            }

            // "pid (name) state ppid ...": the name may hold spaces and parentheses, so read after its last ')'.
            string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            if (int.Parse(fields[1], CultureInfo.InvariantCulture) == parent)
            {
                children.Add(pid);
            }
        }

        return children;
    }
}
