namespace SocketServer.Tests;

/// <summary>CPython's test_all: the public surface is exactly the documented set; helpers stay internal.</summary>
public sealed class PublicSurfaceTests
{
    private static readonly string[] s_expected =
    [
        "SocketServer.AgentCheckServer",
        "SocketServer.AsyncDatagramRequestHandler",
        "SocketServer.AsyncStreamRequestHandler",
        "SocketServer.AsyncTransport",
        "SocketServer.BaseRequestHandler",
        "SocketServer.BaseServer",
        "SocketServer.ChildProcessFailure",
        "SocketServer.ClientCertificateMode",
        "SocketServer.ConnectionLimitException",
        "SocketServer.DatagramRequest",
        "SocketServer.DatagramRequestHandler",
        "SocketServer.DescriptorLimitException",
        "SocketServer.DrainResult",
        "SocketServer.ForkingTcpServer",
        "SocketServer.ForkingTcpServer`1",
        "SocketServer.ForkingUdpServer",
        "SocketServer.ForkingUdpServer`1",
        "SocketServer.ForkingUnixDatagramServer",
        "SocketServer.ForkingUnixDatagramServer`1",
        "SocketServer.ForkingUnixStreamServer",
        "SocketServer.ForkingUnixStreamServer`1",
        "SocketServer.ForkingWorker",
        "SocketServer.HealthState",
        "SocketServer.MinDataRate",
        "SocketServer.Protocols.CTime",
        "SocketServer.Protocols.ChargenDatagramHandler",
        "SocketServer.Protocols.ChargenStreamHandler",
        "SocketServer.Protocols.DaytimeDatagramHandler",
        "SocketServer.Protocols.DaytimeStreamHandler",
        "SocketServer.Protocols.DiscardDatagramHandler",
        "SocketServer.Protocols.DiscardStreamHandler",
        "SocketServer.Protocols.EchoDatagramHandler",
        "SocketServer.Protocols.EchoStreamHandler",
        "SocketServer.Protocols.TimeDatagramHandler",
        "SocketServer.Protocols.TimeStreamHandler",
        "SocketServer.Protocols.TimestampDatagramHandler",
        "SocketServer.Protocols.TimestampStreamHandler",
        "SocketServer.ProxyHeader",
        "SocketServer.ProxyProtocolOptions",
        "SocketServer.ProxyProtocolVersions",
        "SocketServer.ProxySslInfo",
        "SocketServer.ProxyTlv",
        "SocketServer.ServerBindException",
        "SocketServer.ServerExitException",
        "SocketServer.ServerLimits",
        "SocketServer.SocketReader",
        "SocketServer.SocketWriter",
        "SocketServer.StreamRequestHandler",
        "SocketServer.SystemdActivation",
        "SocketServer.SystemdActivationException",
        "SocketServer.SystemdSocket",
        "SocketServer.TcpServer",
        "SocketServer.TcpServer`1",
        "SocketServer.ThreadingTcpServer",
        "SocketServer.ThreadingTcpServer`1",
        "SocketServer.ThreadingUdpServer",
        "SocketServer.ThreadingUdpServer`1",
        "SocketServer.ThreadingUnixDatagramServer",
        "SocketServer.ThreadingUnixDatagramServer`1",
        "SocketServer.ThreadingUnixStreamServer",
        "SocketServer.ThreadingUnixStreamServer`1",
        "SocketServer.TlsConfigurationException",
        "SocketServer.TlsHandshakeException",
        "SocketServer.TlsOptions",
        "SocketServer.UdpServer",
        "SocketServer.UdpServer`1",
        "SocketServer.UnixDatagramServer",
        "SocketServer.UnixDatagramServer`1",
        "SocketServer.UnixStreamServer",
        "SocketServer.UnixStreamServer`1",
    ];

    [Fact]
    public void ExportsExactlyTheDocumentedTypes()
    {
        string[] exported = [.. typeof(BaseServer).Assembly.GetExportedTypes().Select(t => t.FullName!).Order(StringComparer.Ordinal)];
        Assert.Equal(s_expected, exported);
    }

    [Fact]
    public void EveryHookIsAProtectedVirtualMethod()
    {
        string[] hooks = ["GetRequest", "VerifyRequest", "ProcessRequest", "FinishRequest", "HandleError", "HandleTimeout", "ServiceActions", "ShutdownRequest", "CloseRequest"];
        foreach (string name in hooks)
        {
            var method = typeof(BaseServer).GetMethod(name, System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)!;
            Assert.True(method is { IsFamily: true, IsVirtual: true }, $"{name} must be protected virtual");
        }

        foreach (string name in new[] { "ServerBind", "ServerActivate", "ServerClose" })
        {
            Assert.True(typeof(BaseServer).GetMethod(name)!.IsVirtual, $"{name} must be public virtual");
        }
    }
}
