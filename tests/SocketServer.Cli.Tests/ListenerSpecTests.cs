using System.Net;
using System.Net.Sockets;

namespace SocketServer.Cli.Tests;

public sealed class ListenerSpecTests
{
    [Theory]
    [InlineData("127.0.0.1:0", "127.0.0.1", 0)]
    [InlineData("127.0.0.1:10001", "127.0.0.1", 10001)]
    [InlineData("0.0.0.0:65535", "0.0.0.0", 65535)]
    [InlineData("localhost:80", "127.0.0.1", 80)]
    [InlineData("LocalHost:80", "127.0.0.1", 80)]
    [InlineData("[::1]:0", "::1", 0)]
    [InlineData("[::]:8080", "::", 8080)]
    [InlineData("[fe80::1%1]:7", "fe80::1%1", 7)]
    public void ParsesHostAndPort(string value, string host, int port)
    {
        foreach (ListenerKind kind in (ListenerKind[])[ListenerKind.Tcp, ListenerKind.Udp])
        {
            ListenerSpec spec = ListenerSpec.Parse(kind, value);

            Assert.Equal(kind, spec.Kind);
            Assert.Equal(new IPEndPoint(IPAddress.Parse(host), port), spec.EndPoint);
        }
    }

    [Theory]
    [InlineData("nonsense")]
    [InlineData("")]
    [InlineData(":80")]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.1:")]
    [InlineData("1.2.3.4:99999")]
    [InlineData("1.2.3.4:65536")]
    [InlineData("1.2.3.4:-1")]
    [InlineData("1.2.3.4:+80")]
    [InlineData("1.2.3.4: 80")]
    [InlineData("1.2.3.4:http")]
    [InlineData("1:80")]
    [InlineData("1.2.3:80")]
    [InlineData("256.1.1.1:80")]
    [InlineData("example.com:80")]
    [InlineData("::1:80")]
    [InlineData("[::1]")]
    [InlineData("[::1]80")]
    [InlineData("[::1:80")]
    [InlineData("[127.0.0.1]:80")]
    [InlineData("[nonsense]:80")]
    public void RejectsBadHostPortNamingTheValue(string value)
    {
        FormatException error = Assert.Throws<FormatException>(() => ListenerSpec.Parse(ListenerKind.Tcp, value));

        Assert.Contains($"--tcp value '{value}'", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void NamesTheUdpOptionInItsErrors()
    {
        FormatException error = Assert.Throws<FormatException>(() => ListenerSpec.Parse(ListenerKind.Udp, "nonsense"));

        Assert.StartsWith("Invalid --udp value 'nonsense'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--unix")]
    [InlineData("--unix-dgram")]
    public void ParsesUnixPaths(string option)
    {
        ListenerKind kind = KindOf(option);
        ListenerSpec spec = ListenerSpec.Parse(kind, "/tmp/app.sock");

        Assert.Equal(kind, spec.Kind);
        Assert.Equal("/tmp/app.sock", Assert.IsType<UnixDomainSocketEndPoint>(spec.EndPoint).ToString());
    }

    [Fact]
    public void ParsesAtNameAsAnAbstractUnixSocket()
    {
        ListenerSpec spec = ListenerSpec.Parse(ListenerKind.Unix, "@app");

        // .NET shows an abstract name as "@app"; the address itself starts with a NUL.
        SocketAddress raw = Assert.IsType<UnixDomainSocketEndPoint>(spec.EndPoint).Serialize();
        Assert.Equal(0, raw[2]);
        Assert.Equal((byte)'a', raw[3]);
    }

    [Theory]
    [InlineData("--unix")]
    [InlineData("--unix-dgram")]
    public void RejectsEmptyAndOverlongUnixPaths(string option)
    {
        ListenerKind kind = KindOf(option);
        string overlong = "/tmp/" + new string('x', 200);

        Assert.Contains($"{option} value ''", Assert.Throws<FormatException>(() => ListenerSpec.Parse(kind, "")).Message, StringComparison.Ordinal);
        Assert.Contains($"{option} value '{overlong}'", Assert.Throws<FormatException>(() => ListenerSpec.Parse(kind, overlong)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DefaultsToTheSeedsAddress()
    {
        Assert.Equal(ListenerKind.Tcp, ListenerSpec.Default.Kind);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 10001), ListenerSpec.Default.EndPoint);
    }

    [Theory]
    [InlineData("--tcp", true)]
    [InlineData("--unix", true)]
    [InlineData("--udp", false)]
    [InlineData("--unix-dgram", false)]
    public void KnowsStreamFromDatagram(string option, bool stream)
    {
        ListenerKind kind = KindOf(option);
        string value = kind is ListenerKind.Tcp or ListenerKind.Udp ? "127.0.0.1:0" : "/tmp/x.sock";

        Assert.Equal(stream, ListenerSpec.Parse(kind, value).IsStream);
    }

    private static ListenerKind KindOf(string option)
    {
        ListenerKind kind = Enum.GetValues<ListenerKind>().Single(k => ListenerSpec.OptionName(k) == option);
        Assert.Equal(option, ListenerSpec.OptionName(kind));
        return kind;
    }

    [Theory]
    [InlineData("localhost:80", true)]
    [InlineData("LOCALHOST:0", true)]
    [InlineData("127.0.0.1:80", false)]
    [InlineData("[::1]:80", false)]
    public void MarksLocalhostForBothLoopbacks(string value, bool localhost)
    {
        ListenerSpec spec = ListenerSpec.Parse(ListenerKind.Tcp, value);
        Assert.Equal(localhost, spec.IsLocalhost);
        List<ListenerSpec> expanded = ListenerSpec.ExpandLocalhost([spec]);
        Assert.Same(spec, expanded[0]);
        Assert.All(expanded.Skip(1), twin =>
        {
            Assert.True(twin.IsLoopbackTwin);
            Assert.Equal(System.Net.IPAddress.IPv6Loopback, ((System.Net.IPEndPoint)twin.EndPoint).Address);
            Assert.Equal(((System.Net.IPEndPoint)spec.EndPoint).Port, ((System.Net.IPEndPoint)twin.EndPoint).Port);
        });
        if (!localhost)
        {
            Assert.Single(expanded);
        }
    }
}
