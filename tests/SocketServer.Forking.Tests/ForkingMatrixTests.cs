using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SocketServer.Forking.Tests;

/// <summary>
/// The forking rows of issue #10's request-path matrix (the in-process rows are SocketServer.Tests' Matrix
/// namespace): the same behaviours, with each request served in a worker process. The ForkingHost's "tcp-matrix"
/// kinds print what every hook and handler saw, per client port; after <see cref="HostProcess.Close"/> the whole
/// output has been read, so counting lines proves "exactly once". The connection caps, the idle timeout and the
/// drain have no forking rows: the parent tracks no connections (a worker's socket is out of its reach).
/// </summary>
public sealed class ForkingMatrixTests
{
    public static TheoryData<string> Shapes => ["sync", "async"];

    [Theory]
    [MemberData(nameof(Shapes))]
    public void AnOrdinaryHandlerExceptionGoesToHandleErrorOnceAndServingGoesOn(string shape)
    {
        ForkingServerTests.SkipUnlessSupported();
        using var host = new HostProcess(Kind(shape), "127.0.0.1:0");
        (string failing, string reply) = Converse(host, "boom\n");
        // The handler read the whole line before it threw, so the close is a clean end of stream.
        Assert.Empty(reply);
        Assert.Equal("good client\n", Converse(host, "good client\n").Reply);
        Assert.Equal(0, host.Close().ExitCode);

        string error = TakeOne(host, "handled-error", failing);
        Assert.EndsWith("handler failed on purpose", error, StringComparison.Ordinal);
        Assert.DoesNotContain($"pid={host.Pid} ", error, StringComparison.Ordinal);
        // ShutdownRequest ran once, in the worker that reported the error.
        Assert.Equal(Pid(error), Pid(TakeOne(host, "shutdown-request", failing)));
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ARefusedRequestIsShutDownOnceAndNeverHandled(string shape)
    {
        ForkingServerTests.SkipUnlessSupported();
        var environment = new Dictionary<string, string> { ["FORKINGHOST_REFUSE_FIRST"] = "1" };
        using var host = new HostProcess(environment, Kind(shape), "127.0.0.1:0");
        string refused;
        using (Socket client = Connect(host))
        {
            refused = Port(client);
            Assert.Empty(ReceiveToEnd(client));
        }

        Assert.Equal("good client\n", Converse(host, "good client\n").Reply);
        Assert.Equal(0, host.Close().ExitCode);

        Assert.Equal(host.Pid, Pid(TakeOne(host, "verify-refused", refused)));
        // The parent ended the request itself: no worker ever saw it.
        Assert.Equal(host.Pid, Pid(TakeOne(host, "shutdown-request", refused)));
        Assert.Empty(Matching(host, "handler-ran", refused));
        Assert.Empty(Matching(host, "handled-error", null));
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ALineOverMaxLineLengthEndsOnlyThatConnectionWithoutHandleError(string shape)
    {
        ForkingServerTests.SkipUnlessSupported();
        using var host = new HostProcess(Kind(shape), "127.0.0.1:0");
        string flood;
        using (Socket client = Connect(host))
        {
            flood = Port(client);
            client.Send(Enumerable.Repeat((byte)'A', 200).ToArray());
            AssertClosedByServer(client);
        }

        Assert.Equal("good client\n", Converse(host, "good client\n").Reply);
        Assert.Equal(0, host.Close().ExitCode);

        // The limit ends the handler in its worker; it is not a request error, so HandleError never sees it.
        string failed = TakeOne(host, "handler-failed", flood);
        Assert.EndsWith("ConnectionLimitException MaxLineLength", failed, StringComparison.Ordinal);
        Assert.Equal(Pid(failed), Pid(TakeOne(host, "shutdown-request", flood)));
        Assert.Empty(Matching(host, "handled-error", null));
    }

    private static string Kind(string shape) => shape == "async" ? "tcp-matrix-async" : "tcp-matrix";

    private static Socket Connect(HostProcess host)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)
        {
            ReceiveTimeout = (int)HostProcess.Deadline.TotalMilliseconds,
            SendTimeout = (int)HostProcess.Deadline.TotalMilliseconds,
        };
        socket.Connect(IPEndPoint.Parse(host.Address));
        return socket;
    }

    /// <summary>Sends <paramref name="request"/>, half-closes, and reads the reply to its end; returns the client's port too.</summary>
    private static (string Client, string Reply) Converse(HostProcess host, string request)
    {
        using Socket socket = Connect(host);
        socket.Send(Encoding.ASCII.GetBytes(request));
        socket.Shutdown(SocketShutdown.Send);
        return (Port(socket), Encoding.ASCII.GetString(ReceiveToEnd(socket)));
    }

    private static string Port(Socket socket) => ((IPEndPoint)socket.LocalEndPoint!).Port.ToString(CultureInfo.InvariantCulture);

    private static byte[] ReceiveToEnd(Socket socket)
    {
        var received = new MemoryStream();
        byte[] buffer = new byte[4096];
        int n;
        while ((n = socket.Receive(buffer)) > 0)
        {
            received.Write(buffer, 0, n);
        }

        return received.ToArray();
    }

    /// <summary>The server ended the connection: the end of the stream, or a reset when it closed with bytes unread.</summary>
    private static void AssertClosedByServer(Socket socket)
    {
        try
        {
            Assert.Empty(ReceiveToEnd(socket));
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
        }
    }

    /// <summary>After <see cref="HostProcess.Close"/>: the one line of <paramref name="report"/> for the client.</summary>
    private static string TakeOne(HostProcess host, string report, string client) => Assert.Single(Matching(host, report, client));

    /// <summary>After <see cref="HostProcess.Close"/>: every line of <paramref name="report"/> (for <paramref name="client"/>, if given).</summary>
    private static List<string> Matching(HostProcess host, string report, string? client) =>
        [.. host.UntakenLines().Where(line =>
            line.StartsWith(report + " ", StringComparison.Ordinal)
            && (client is null || line.Split(' ').Contains($"client={client}")))];

    private static int Pid(string line)
    {
        string pid = line.Split(' ').Single(part => part.StartsWith("pid=", StringComparison.Ordinal))["pid=".Length..];
        return int.Parse(pid, CultureInfo.InvariantCulture);
    }
}
