using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using SocketServer.Hosting.Tests.Infrastructure;

namespace SocketServer.Hosting.Tests;

/// <summary>TLS from the files the configuration names: read when the host starts, for the stream endpoints only.</summary>
public sealed class TlsTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    [Fact]
    public async Task TheStreamEndpointsServeTlsFromPemFiles()
    {
        (string certificate, string key, string thumbprint) = WriteSelfSigned();
        await using TestHost host = await TestHost.StartAsync(
            new Dictionary<string, string?>
            {
                ["SocketServer:Servers:echo:Endpoints:0"] = "tcp://127.0.0.1:0",
                ["SocketServer:Servers:echo:Endpoints:1"] = "udp://127.0.0.1:0",
                ["SocketServer:Servers:echo:Tls:CertificateFile"] = certificate,
                ["SocketServer:Servers:echo:Tls:KeyFile"] = key,
            },
            static b => b.Services.AddSocketServer<AsyncLineEcho>("echo").UseHandler<SyncDatagramEcho>());

        Assert.StartsWith("tls://127.0.0.1:", host.Servers[0].Address, StringComparison.Ordinal);
        Assert.StartsWith("udp://127.0.0.1:", host.Servers[1].Address, StringComparison.Ordinal);
        using (Socket socket = Clients.Connect(host.Address("echo")))
        // The certificate is self-signed: trusted here by its thumbprint.
        await using (var tls = new SslStream(new NetworkStream(socket), leaveInnerStreamOpen: false, (_, presented, _, _) => presented?.GetCertHashString() == thumbprint))
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost" }, TestContext.Current.CancellationToken);
            await tls.WriteAsync("secret\n"u8.ToArray(), TestContext.Current.CancellationToken);
            byte[] reply = new byte[7];
            await tls.ReadExactlyAsync(reply, TestContext.Current.CancellationToken);
            Assert.Equal("secret\n", Encoding.UTF8.GetString(reply));
        }

        // The datagram endpoint of the same server stays plaintext.
        Assert.Equal("plain", Clients.DatagramRoundTrip(host.Address("echo", 1), "plain"));
        await host.StopAsync();
    }

    [Fact]
    public async Task ACertificateFileThatCannotBeUsedFailsTheStartWithTheLibrarysMessage()
    {
        string certificate = Path.Combine(_directory.Path, "server.pem");
        await File.WriteAllTextAsync(certificate, "not a certificate", TestContext.Current.CancellationToken);
        await using TestHost host = TestHost.Build(
            new Dictionary<string, string?>
            {
                ["SocketServer:Servers:echo:Endpoints:0"] = "tcp://127.0.0.1:0",
                ["SocketServer:Servers:echo:Tls:CertificateFile"] = certificate,
            },
            static b => b.Services.AddSocketServer<AsyncLineEcho>("echo"));

        TlsConfigurationException e = await Assert.ThrowsAsync<TlsConfigurationException>(() => host.Host.StartAsync(TestContext.Current.CancellationToken));
        Assert.Contains(certificate, e.Message, StringComparison.Ordinal);
        Assert.Empty(host.Servers);
    }

    public void Dispose() => _directory.Dispose();

    private (string Certificate, string Key, string Thumbprint) WriteSelfSigned()
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        using X509Certificate2 certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        string certificatePath = Path.Combine(_directory.Path, "server.pem");
        string keyPath = Path.Combine(_directory.Path, "server.key");
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return (certificatePath, keyPath, certificate.GetCertHashString());
    }
}
