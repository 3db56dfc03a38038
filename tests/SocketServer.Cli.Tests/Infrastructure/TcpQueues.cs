using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace SocketServer.Cli.Tests.Infrastructure;

/// <summary>
/// Reads the kernel's socket queues from <c>/proc/net/tcp</c> (Linux): the only outside view of whether a server
/// process has read what a client sent, which tells a request in progress from an idle connection.
/// </summary>
internal static class TcpQueues
{
    /// <summary>
    /// Waits until everything <paramref name="client"/> sent has reached the server's socket and the server has read it
    /// all: the client's send queue and the server side's receive queue are both empty.
    /// </summary>
    public static void WaitUntilServerHasRead(Socket client)
    {
        var local = (IPEndPoint)client.LocalEndPoint!;
        var remote = (IPEndPoint)client.RemoteEndPoint!;
        long deadline = Environment.TickCount64 + (long)TestTimeouts.Long.TotalMilliseconds;
        var spin = new SpinWait();
        // The kernel has no event for "the peer read it"; the condition is polled, bounded by the usual long wait.
        while (!(Queues(local, remote) is { Send: 0 } && Queues(remote, local) is { Receive: 0 }))
        {
            Assert.True(Environment.TickCount64 < deadline, $"the server never read what {local} sent: {File.ReadAllText("/proc/net/tcp")}");
            spin.SpinOnce();
        }
    }

    private static (long Send, long Receive)? Queues(IPEndPoint local, IPEndPoint remote)
    {
        foreach (string line in File.ReadLines("/proc/net/tcp").Skip(1))
        {
            // "sl local_address rem_address st tx_queue:rx_queue ...", addresses as hex IP:PORT.
            string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (Parse(fields[1]).Equals(local) && Parse(fields[2]).Equals(remote))
            {
                string[] queues = fields[4].Split(':');
                return (long.Parse(queues[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture), long.Parse(queues[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
            }
        }

        return null;
    }

    // The address is the raw 32-bit value in host order, which IPAddress(long) reads back the same way.
    private static IPEndPoint Parse(string field)
    {
        string[] parts = field.Split(':');
        return new IPEndPoint(
            new IPAddress(long.Parse(parts[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture)),
            int.Parse(parts[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
    }
}
