using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using SocketServer.Cli.Tests.Infrastructure;

namespace SocketServer.Cli.Tests;

/// <summary>
/// TLS mistakes a user makes, with certificates made in-process: the CLI says what the user must do, not what .NET's
/// TLS stack called internally (a validation callback, a parameter name).
/// </summary>
public sealed class TlsMessageTests
{
    [Fact]
    public void AClientWithoutACertificateIsToldApartFromACallback()
    {
        using TlsFiles files = new();
        using CliProcess cli = CliProcess.Start(
            "serve", "echo", "--tcp", "127.0.0.1:0", "--mode", "threading",
            "--tls-cert", files.Certificate, "--tls-key", files.Key, "--tls-client-ca", files.Certificate);
        ReadyAddress address = Assert.Single(cli.WaitUntilListening());

        string client = ConnectWithoutACertificate(address, files.Certificate);

        // One line on standard error, no stack trace: the client's fault, logged by HandleError's default.
        string expected = $"socketserver: tls://{address.EndPoint}: TLS handshake with {client} failed: the client sent no certificate, and this server requires one (ClientCertificateMode.Required): configure the client with a certificate issued by one of the server's client CAs.";
        string stderr = cli.Process.WaitForStderr(e => e.Contains(expected, StringComparison.Ordinal));
        Assert.Equal(expected, stderr.ReplaceLineEndings("\n").TrimEnd('\n'));
        Assert.Equal(0, cli.Stop());
    }

    [Fact]
    public void AKeyThatIsNotTheCertificatesSaysSoWithoutAParameterName()
    {
        using TlsFiles files = new();

        ToolRun run = CliProcess.Run("serve", "echo", "--tcp", "127.0.0.1:0", "--tls-cert", files.Certificate, "--tls-key", files.OtherKey);

        Assert.Equal(
            $"socketserver: The TLS certificate {files.Certificate} and private key {files.OtherKey} cannot be used together: the key is not the certificate's (their public keys differ); give the private key the certificate was made for.\n",
            run.Stderr);
        Assert.Equal("", run.Stdout);
        Assert.Equal(ExitCodes.Address, run.ExitCode);
    }

    // Returns the client's address as the server names it. The handshake fails on one side or the other depending
    // on the TLS version (1.3 lets the client finish first): either way the server refuses.
    private static string ConnectWithoutACertificate(ReadyAddress address, string serverCertificate)
    {
        // The server's own self-signed certificate is the one to trust, by its hash.
        using X509Certificate2 expected = X509Certificate2.CreateFromPem(File.ReadAllText(serverCertificate));
        string hash = expected.GetCertHashString();
        using Socket socket = Clients.Connect(address.EndPoint);
        string name = socket.LocalEndPoint!.ToString()!;
        using var stream = new SslStream(new NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: false);
        try
        {
            stream.AuthenticateAsClient(new SslClientAuthenticationOptions
            {
                TargetHost = "localhost",
                RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate?.GetCertHashString() == hash,
            });
            stream.Write("hello\n"u8);
            _ = stream.Read(new byte[16]);
        }
        catch (Exception e) when (e is System.Security.Authentication.AuthenticationException or IOException)
        {
        }

        return name;
    }
}
