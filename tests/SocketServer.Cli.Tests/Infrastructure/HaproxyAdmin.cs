using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace SocketServer.Cli.Tests.Infrastructure;

/// <summary>
/// HAProxy's admin (stats) socket, as an operator reads it with <c>echo 'show stat' | socat - UNIX-CONNECT:PATH</c>:
/// one command per connection, the answer read until HAProxy closes.
/// </summary>
internal sealed class HaproxyAdmin(string socketPath)
{
    /// <summary>Sends one command and returns the whole answer.</summary>
    public string Ask(string command)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.ReceiveTimeout = (int)TestTimeouts.Long.TotalMilliseconds;
        socket.Connect(new UnixDomainSocketEndPoint(socketPath));
        socket.Send(Encoding.ASCII.GetBytes(command + "\n"));
        var answer = new StringBuilder();
        byte[] buffer = new byte[16384];
        int n;
        while ((n = socket.Receive(buffer)) > 0)
        {
            answer.Append(Encoding.ASCII.GetString(buffer, 0, n));
        }

        return answer.ToString();
    }

    /// <summary><c>show stat</c>: each proxy's and server's row (<c>svname</c>: s1, BACKEND, ...), as column name → value.</summary>
    public Dictionary<string, Dictionary<string, string>> ShowStat()
    {
        string[] lines = Ask("show stat").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length > 0 && lines[0].StartsWith("# ", StringComparison.Ordinal), $"not a show stat answer: '{string.Join('\n', lines)}'");
        string[] columns = lines[0][2..].Split(',');
        var rows = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        foreach (string line in lines.Skip(1))
        {
            string[] values = line.Split(',');
            var row = new Dictionary<string, string>(StringComparer.Ordinal);
            for (int i = 0; i < columns.Length && i < values.Length; i++)
            {
                row[columns[i]] = values[i];
            }

            rows[row["svname"]] = row;
        }

        return rows;
    }

    /// <summary>A server's counter (<c>stot</c>, <c>eresp</c>, <c>econ</c>...) as a number; empty counts as 0.</summary>
    public static long Count(Dictionary<string, Dictionary<string, string>> stat, string server, string column) =>
        stat[server][column] is { Length: > 0 } text ? long.Parse(text, System.Globalization.CultureInfo.InvariantCulture) : 0;

    /// <summary>
    /// Asks <c>show stat</c> until <paramref name="done"/> holds, and returns that answer. The bound is the tests' long
    /// one, for a stuck HAProxy; HAProxy's own clocks (check intervals) decide when the state changes.
    /// </summary>
    public Dictionary<string, Dictionary<string, string>> WaitForStat(Func<Dictionary<string, Dictionary<string, string>>, bool> done, string what)
    {
        var elapsed = Stopwatch.StartNew();
        Dictionary<string, Dictionary<string, string>> stat = ShowStat();
        while (!done(stat))
        {
            Assert.True(elapsed.Elapsed < TestTimeouts.Long, $"HAProxy never showed {what}: {Ask("show stat")}");
            Thread.Sleep(20); // the poll's pace, not a synchronisation: the loop ends on the state read
            stat = ShowStat();
        }

        return stat;
    }

    /// <summary>Waits for the admin socket to accept a command (HAProxy creates it while starting).</summary>
    public void WaitUntilAnswering(ChildProcess haproxy)
    {
        var elapsed = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                Ask("show info");
                return;
            }
            catch (SocketException) when (elapsed.Elapsed < TestTimeouts.Long && !HasExited(haproxy))
            {
                Thread.Sleep(20);
            }
        }
    }

    private static bool HasExited(ChildProcess process)
    {
        try
        {
            using var p = Process.GetProcessById(process.Id);
            return p.HasExited;
        }
        catch (ArgumentException)
        {
            return true;
        }
    }
}
