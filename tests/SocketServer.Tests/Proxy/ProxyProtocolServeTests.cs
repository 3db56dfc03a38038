using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using SocketServer.Tests.Infrastructure;

namespace SocketServer.Tests.Proxy;

/// <summary>
/// The PROXY protocol over loopback in every in-process mode (sync, threading, the reactor, the portable transport),
/// with sync and async handlers: the original client reaches <c>VerifyRequest</c> and the handler, untrusted and
/// malformed connections are closed unseen while the server keeps serving, split headers and data in the header's
/// write work, and the deadline closes a silent proxy. Forking is tested through the CLI (ProxyProtocolCliTests).
/// </summary>
public sealed class ProxyProtocolServeTests
{
    private static readonly IPEndPoint s_client = IPEndPoint.Parse("203.0.113.7:4242");
    private static readonly IPAddress s_trustedProxy = IPAddress.Parse("127.0.0.2");

    public static TheoryData<ServeMode, HandlerShape> AllRows => ServeModes.Rows(ServeModes.All);

    public static TheoryData<ServeMode, HandlerShape> AsyncRows => ServeModes.Rows(ServeMode.Reactor, ServeMode.Portable, ServeMode.IoUring);

    [Theory]
    [MemberData(nameof(AllRows))]
    public void TheHandlerAndVerifyRequestSeeTheOriginalClientAndTheDataAfterTheHeader(ServeMode mode, HandlerShape shape)
    {
        using ModeServer server = Start(mode, shape);
        using Socket proxy = ConnectFrom(s_trustedProxy, server.Address);
        var destination = (IPEndPoint)server.Address;
        // Header and first data in one write: the data must not be lost with the header.
        proxy.Send([.. ProxyHeaders.V2(s_client, destination, tlvs: ProxyHeaders.Tlv(ProxyTlv.Authority, "app.example")), .. "hello\n"u8]);
        Assert.Equal($"{s_client}|{proxy.LocalEndPoint}|app.example|hello", ReadLine(proxy));
        Assert.Equal(s_client, Assert.Single(server.Probe.VerifiedClients));
        // One Debug line per connection names both sides: what a deployment is checked with (serve --log-level debug).
        Assert.EndsWith(
            $": the connection from {proxy.LocalEndPoint} is the client {s_client} (PROXY protocol v2).",
            Assert.Single(server.Probe.Log.WaitFor(503)).Message,
            StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(AllRows))]
    public void AHeaderSplitOverSeveralWritesWorks(ServeMode mode, HandlerShape shape)
    {
        using ModeServer server = Start(mode, shape);
        using Socket proxy = ConnectFrom(s_trustedProxy, server.Address);
        proxy.NoDelay = true;
        byte[] stream = [.. ProxyHeaders.V1("PROXY TCP4 203.0.113.7 127.0.0.1 4242 80\r\n"), .. "one\n"u8];
        foreach (int[] range in new[] { new[] { 0, 3 }, [3, 11], [11, 30], [30, stream.Length] })
        {
            proxy.Send(stream.AsSpan(range[0], range[1] - range[0]));
        }

        Assert.Equal($"{s_client}|{proxy.LocalEndPoint}||one", ReadLine(proxy));
        proxy.Send("two\n"u8);
        Assert.Equal($"{s_client}|{proxy.LocalEndPoint}||two", ReadLine(proxy));
    }

    [Theory]
    [MemberData(nameof(AllRows))]
    public void ALocalHeaderKeepsTheRealPeer(ServeMode mode, HandlerShape shape)
    {
        using ModeServer server = Start(mode, shape);
        using Socket proxy = ConnectFrom(s_trustedProxy, server.Address);
        proxy.Send([.. ProxyHeaders.V2Crc(null, null), .. "check\n"u8]);
        Assert.Equal($"{proxy.LocalEndPoint}|{proxy.LocalEndPoint}||check", ReadLine(proxy));
        Assert.EndsWith(
            $": the connection from {proxy.LocalEndPoint} is the client {proxy.LocalEndPoint} (PROXY protocol v2, no client: the proxy itself, as in a LOCAL health check).",
            Assert.Single(server.Probe.Log.WaitFor(503)).Message,
            StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(AllRows))]
    public void AnUntrustedSourceIsClosedUnreadAndOthersAreServed(ServeMode mode, HandlerShape shape)
    {
        using ModeServer server = Start(mode, shape);
        using (Socket stranger = Clients.ConnectStream(server.Address))
        {
            // A forged header from outside the trusted networks is never read.
            stranger.Send(ProxyHeaders.V1("PROXY TCP4 1.1.1.1 127.0.0.1 1 80\r\nhello\n"));
            ModeServer.AssertClosedByServer(stranger);
        }

        Assert.Contains("not a trusted proxy", Assert.Single(server.Probe.Log.WaitFor(501)).Message, StringComparison.Ordinal);
        Assert.Empty(server.Probe.VerifiedClients);
        AssertServesATrustedClient(server);
    }

    [Theory]
    [MemberData(nameof(AllRows))]
    public void AMalformedHeaderClosesTheConnectionBeforeAnyHookAndOthersAreServed(ServeMode mode, HandlerShape shape)
    {
        using ModeServer server = Start(mode, shape);
        using (Socket proxy = ConnectFrom(s_trustedProxy, server.Address))
        {
            proxy.Send(ProxyHeaders.V1("PROXY TCP4 1.1.1.01 127.0.0.1 1 80\r\nhello\n"));
            ModeServer.AssertClosedByServer(proxy);
        }

        string line = Assert.Single(server.Probe.Log.WaitFor(500)).Message;
        Assert.Contains("127.0.0.2", line, StringComparison.Ordinal);
        Assert.Contains("canonical IPv4", line, StringComparison.Ordinal);
        Assert.Empty(server.Probe.VerifiedClients);
        AssertServesATrustedClient(server);
    }

    [Theory]
    [MemberData(nameof(AllRows))]
    public void TheDeadlineClosesAProxyThatSendsNothing(ServeMode mode, HandlerShape shape)
    {
        using ModeServer server = Start(mode, shape, timeout: TimeSpan.FromMilliseconds(200));
        using (Socket silent = ConnectFrom(s_trustedProxy, server.Address))
        {
            silent.Send("PROX"u8);
            // The server's clock is fake: move it past the deadline until the server closes the connection.
            for (int i = 0; i < 300 && !silent.Poll(TimeSpan.FromMilliseconds(100), SelectMode.SelectRead); i++)
            {
                server.Probe.Clock.Advance(TimeSpan.FromSeconds(1));
            }

            ModeServer.AssertClosedByServer(silent);
        }

        Assert.Contains("HeaderTimeout", Assert.Single(server.Probe.Log.WaitFor(500)).Message, StringComparison.Ordinal);
        AssertServesATrustedClient(server);
    }

    [Theory]
    [MemberData(nameof(AsyncRows))]
    public void ASlowProxyDoesNotHoldUpOthersOnTheAsyncTransports(ServeMode mode, HandlerShape shape)
    {
        using ModeServer server = Start(mode, shape);
        using Socket slow = ConnectFrom(s_trustedProxy, server.Address);
        slow.Send(ProxyHeaders.HaproxyGoldenVector().AsSpan(0, 10));
        AssertServesATrustedClient(server);
        slow.Send(ProxyHeaders.HaproxyGoldenVector().AsSpan(10));
        slow.Send("late\n"u8);
        Assert.Equal($"127.0.0.1:42|{slow.LocalEndPoint}|12345|late", ReadLine(slow));
    }

    [Theory]
    [InlineData(ServeMode.Sync, HandlerShape.Sync)]
    [InlineData(ServeMode.Threading, HandlerShape.Sync)]
    [InlineData(ServeMode.Reactor, HandlerShape.Async)]
    [InlineData(ServeMode.Portable, HandlerShape.Async)]
    [InlineData(ServeMode.IoUring, HandlerShape.Async)]
    public async Task TlsRunsAfterTheHeader(ServeMode mode, HandlerShape shape)
    {
        using ModeServer server = Start(mode, shape, tls: true);
        using Socket proxy = ConnectFrom(s_trustedProxy, server.Address);
        // The header goes in plaintext, then the client's TLS handshake, as HAProxy does in TCP mode.
        proxy.Send(ProxyHeaders.V1("PROXY TCP6 2001:db8::7 2001:db8::1 4242 443\r\n"));
        await using var tls = new SslStream(new NetworkStream(proxy, ownsSocket: false), leaveInnerStreamOpen: false, static (_, certificate, _, _) => certificate?.GetCertHashString() == TestCertificates.Shared.Server.Thumbprint);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost" }, TestContext.Current.CancellationToken);
        await tls.WriteAsync("secret\n"u8.ToArray(), TestContext.Current.CancellationToken);
        using var reader = new StreamReader(tls, Encoding.UTF8);
        Assert.Equal($"[2001:db8::7]:4242|{proxy.LocalEndPoint}||secret", await reader.ReadLineAsync(TestContext.Current.CancellationToken));
    }

    private static ModeServer Start(ServeMode mode, HandlerShape shape, TimeSpan? timeout = null, bool tls = false)
    {
        Func<BaseRequestHandler> factory = shape == HandlerShape.Sync ? static () => new ProxyEchoHandler() : static () => new AsyncProxyEchoHandler();
        return ServeModes.Start(mode, factory, setup: server =>
        {
            server.ProxyProtocol = new ProxyProtocolOptions
            {
                TrustedNetworks = { new IPNetwork(s_trustedProxy, 32) },
                HeaderTimeout = timeout ?? TimeSpan.FromSeconds(30),
            };
            if (tls)
            {
                server.Tls = new TlsOptions(TestCertificates.Shared.Server);
            }
        });
    }

    private static void AssertServesATrustedClient(ModeServer server)
    {
        using Socket proxy = ConnectFrom(s_trustedProxy, server.Address);
        proxy.Send([.. ProxyHeaders.V1((IPEndPoint)IPEndPoint.Parse("198.51.100.1:1000"), (IPEndPoint)server.Address), .. "ok\n"u8]);
        Assert.Equal($"198.51.100.1:1000|{proxy.LocalEndPoint}||ok", ReadLine(proxy));
    }

    private static Socket ConnectFrom(IPAddress source, EndPoint server)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)
        {
            ReceiveTimeout = (int)TestTimeouts.Long.TotalMilliseconds,
            SendTimeout = (int)TestTimeouts.Long.TotalMilliseconds,
        };
        socket.Bind(new IPEndPoint(source, 0));
        socket.Connect(server);
        return socket;
    }

    private static string ReadLine(Socket socket)
    {
        var line = new List<byte>();
        byte[] one = new byte[1];
        while (socket.Receive(one) == 1 && one[0] != (byte)'\n')
        {
            line.Add(one[0]);
        }

        return Encoding.UTF8.GetString([.. line]);
    }
}
