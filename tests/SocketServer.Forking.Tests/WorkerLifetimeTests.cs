using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using SocketServer.TestShared;

namespace SocketServer.Forking.Tests;

/// <summary>No worker outlives its parent: one holding a client dies with a parent killed by SIGKILL.</summary>
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
