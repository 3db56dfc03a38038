namespace SocketServer.Cli.Tests.Infrastructure;

/// <summary>A throw-away PKI made with <c>openssl req</c>: a CA, a self-signed server certificate (PEM and PKCS#12) and a client certificate the CA signed.</summary>
internal sealed record OpenSslPki(string CaCert, string ServerCert, string ServerKey, string ServerPfx, string ClientCert, string ClientKey)
{
    public const string Password = "s3cret";

    public static OpenSslPki Create(string openssl, TempDirectory directory)
    {
        string File(string name) => Path.Combine(directory.Path, name);
        string[] ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
        Run(openssl, ["req", "-x509", .. ec, "-keyout", File("ca.key"), "-out", File("ca.crt"), "-days", "2", "-subj", "/CN=CLI Test CA"]);
        Run(openssl, ["req", "-x509", .. ec, "-keyout", File("server.key"), "-out", File("server.crt"), "-days", "2", "-subj", "/CN=localhost"]);
        Run(openssl, ["pkcs12", "-export", "-in", File("server.crt"), "-inkey", File("server.key"), "-out", File("server.pfx"), "-passout", $"pass:{Password}"]);
        Run(openssl, ["req", .. ec, "-keyout", File("client.key"), "-out", File("client.csr"), "-subj", "/CN=cli client"]);
        Run(openssl, ["x509", "-req", "-in", File("client.csr"), "-CA", File("ca.crt"), "-CAkey", File("ca.key"), "-CAcreateserial", "-out", File("client.crt"), "-days", "2"]);
        return new OpenSslPki(File("ca.crt"), File("server.crt"), File("server.key"), File("server.pfx"), File("client.crt"), File("client.key"));
    }

    private static void Run(string openssl, string[] arguments)
    {
        ToolRun run = ToolRun.Run(openssl, arguments);
        Assert.True(run.ExitCode == 0, $"openssl {string.Join(' ', arguments)} failed: {run.Stderr}");
    }
}
