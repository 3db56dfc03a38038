using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace SocketServer.Forking.Tests;

/// <summary>
/// The forking servers end to end: the ForkingHost program is the parent, and its workers are the same program
/// started again, as a user's program would be.
/// </summary>
public sealed class ForkingServerTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("ssf-").FullName;

    public static TheoryData<string> Kinds => ["tcp", "udp", "unix", "unix-dgram"];

    [Theory]
    [MemberData(nameof(Kinds))]
    public void EachRequestGetsAFreshProcessAndCloseReapsThemAll(string kind)
    {
        SkipUnlessSupported();
        using var host = new HostProcess(kind, AddressFor(kind));
        string[] pids = [.. Enumerable.Range(0, 3).Select(_ => Peers.Ask(kind, host.Address, "pid", _directory).Trim())];
        Assert.All(pids, pid => Assert.Matches(@"^\d+$", pid));
        Assert.Equal(3, pids.Distinct().Count());
        Assert.DoesNotContain(host.Pid.ToString(CultureInfo.InvariantCulture), pids);
        Assert.Equal("hello world\n", Peers.Ask(kind, host.Address, "hello world", _directory));
        var (exitCode, closed) = host.Close();
        Assert.Equal(0, exitCode);
        Assert.Equal("closed active=0", closed);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void ServeAsyncKeepsEachRequestInAWorkerProcess(string kind)
    {
        // ServeAsync on a forking server must not serve requests in the parent: it runs the forking loop, so the
        // isolation stays (and in a worker it serves as the worker).
        SkipUnlessSupported();
        var environment = new Dictionary<string, string> { ["FORKINGHOST_SERVE_ASYNC"] = "1" };
        using var host = new HostProcess(environment, kind, AddressFor(kind));
        string[] pids = [.. Enumerable.Range(0, 2).Select(_ => Peers.Ask(kind, host.Address, "pid", _directory).Trim())];
        Assert.All(pids, pid => Assert.Matches(@"^\d+$", pid));
        Assert.Equal(2, pids.Distinct().Count());
        Assert.DoesNotContain(host.Pid.ToString(CultureInfo.InvariantCulture), pids);
        Assert.Equal("hello world\n", Peers.Ask(kind, host.Address, "hello world", _directory));
        var (exitCode, closed) = host.Close();
        Assert.Equal(0, exitCode);
        Assert.Equal("closed active=0", closed);
    }

    [Fact]
    public async Task AnAsyncHandlerInAWorkerUpgradesWithStartTlsAsync()
    {
        SkipUnlessSupported();
        string thumbprint = WriteSelfSignedCertificate(out string certificate, out string key);
        var environment = new Dictionary<string, string> { ["FORKINGHOST_TLS_CERT"] = certificate, ["FORKINGHOST_TLS_KEY"] = key };
        using var host = new HostProcess(environment, "tcp-starttls", "127.0.0.1:0");
        using var client = new TcpClient();
        await client.ConnectAsync(IPEndPoint.Parse(host.Address), TestContext.Current.CancellationToken);
        NetworkStream plain = client.GetStream();
        Assert.Equal("220 forking host", ReadPlainLine(plain));
        plain.Write("before\r\nSTARTTLS\r\n"u8);
        string before = ReadPlainLine(plain);
        Assert.Matches(@"^250 plain pid=\d+: before$", before);
        Assert.Equal("220 go ahead", ReadPlainLine(plain));

        using var tls = new SslStream(plain, leaveInnerStreamOpen: true, (_, presented, _, _) => presented?.GetCertHashString() == thumbprint);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost" }, TestContext.Current.CancellationToken);
        using var reader = new StreamReader(tls, Encoding.UTF8);
        await tls.WriteAsync("after\r\nQUIT\r\n"u8.ToArray(), TestContext.Current.CancellationToken);
        string? after = await reader.ReadLineAsync(TestContext.Current.CancellationToken);
        Assert.Equal("221 bye", await reader.ReadLineAsync(TestContext.Current.CancellationToken));

        // The same worker, not the parent, served both halves of the conversation.
        string workerPid = before[(before.IndexOf('=', StringComparison.Ordinal) + 1)..before.IndexOf(':', StringComparison.Ordinal)];
        Assert.NotEqual(host.Pid.ToString(CultureInfo.InvariantCulture), workerPid);
        Assert.Equal($"250 tls pid={workerPid}: after", after);
        var (exitCode, closed) = host.Close();
        Assert.Equal(0, exitCode);
        Assert.Equal("closed active=0", closed);
    }

    [Fact]
    public void WarmWorkersServeManyRequestsEach()
    {
        SkipUnlessSupported();
        using var host = new HostProcess("tcp", "127.0.0.1:0", "2");
        string[] pids = [.. Enumerable.Range(0, 4).Select(_ => Peers.Ask("tcp", host.Address, "pid").Trim())];
        Assert.Equal(pids[0], pids[1]);
        Assert.Equal(pids[2], pids[3]);
        Assert.NotEqual(pids[0], pids[2]);
        Assert.Equal(0, host.Close().ExitCode);
    }

    [Fact]
    public void AWorkerWithoutARequestLimitServesEverything()
    {
        SkipUnlessSupported();
        using var host = new HostProcess("tcp", "127.0.0.1:0", "0", "1");
        string[] pids = [.. Enumerable.Range(0, 5).Select(_ => Peers.Ask("tcp", host.Address, "pid").Trim())];
        Assert.Single(pids.Distinct());
        Assert.Equal(0, host.Close().ExitCode);
    }

    [Fact]
    public void AnExceptionInTheWorkerGoesToHandleErrorThere()
    {
        SkipUnlessSupported();
        using var host = new HostProcess("tcp", "127.0.0.1:0");
        Assert.Equal(string.Empty, Peers.Ask("tcp", host.Address, "throw"));
        string handled = host.WaitForLine(l => l.StartsWith("handled-error", StringComparison.Ordinal));
        Assert.EndsWith("handler failed on purpose", handled, StringComparison.Ordinal);
        Assert.DoesNotContain($"pid={host.Pid} ", handled, StringComparison.Ordinal);
        Assert.Equal("after\n", Peers.Ask("tcp", host.Address, "after"));
        Assert.Equal(0, host.Close().ExitCode);
    }

    [Theory]
    [InlineData("failfast", 134)]
    [InlineData("kill", 137)]
    public void AWorkerThatDiesCostsOnlyItsRequest(string command, int exitCode)
    {
        SkipUnlessSupported();
        using var host = new HostProcess("tcp", "127.0.0.1:0");
        Assert.Equal(string.Empty, Peers.Ask("tcp", host.Address, command));
        string failure = host.WaitForLine(l => l.StartsWith("child-failure", StringComparison.Ordinal));
        Assert.Contains("serving 127.0.0.1:", failure, StringComparison.Ordinal);
        Assert.Contains("died before finishing its request", failure, StringComparison.Ordinal);
        Assert.Contains($"exit code {exitCode}", failure, StringComparison.Ordinal);
        Assert.Equal("still serving\n", Peers.Ask("tcp", host.Address, "still serving"));
        Assert.Equal(0, host.Close().ExitCode);
    }

    [Fact]
    public void AWorkerThatRunsOutOfMemoryNeverHarmsTheParent()
    {
        SkipUnlessSupported();
        // 256 MiB of heap for the parent and (inherited) its workers.
        using var host = new HostProcess(new Dictionary<string, string> { ["DOTNET_GCHeapHardLimit"] = "0x10000000" }, "tcp", "127.0.0.1:0");
        Assert.Equal(string.Empty, Peers.Ask("tcp", host.Address, "oom"));
        Assert.Contains("OutOfMemory", host.WaitForLine(l => l.StartsWith("handled-error", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Equal("fine\n", Peers.Ask("tcp", host.Address, "fine"));
        Assert.Equal(0, host.Close().ExitCode);
    }

    [Fact]
    public void AHungWorkerIsKilledAtItsTimeLimitWhileOthersAreServed()
    {
        SkipUnlessSupported();
        using var host = new HostProcess("tcp", "127.0.0.1:0", "1", "0", "40", "500");
        var hung = Task.Run(() => Peers.Ask("tcp", host.Address, "hang"));
        // Served meanwhile, by another worker.
        Assert.Equal("meanwhile\n", Peers.Ask("tcp", host.Address, "meanwhile"));
        string failure = host.WaitForLine(l => l.StartsWith("child-failure", StringComparison.Ordinal));
        Assert.Contains("killed after exceeding the request time limit", failure, StringComparison.Ordinal);
        Assert.True(hung.Wait(HostProcess.Deadline));
        Assert.Equal(string.Empty, hung.Result);
        Assert.Equal(0, host.Close().ExitCode);
    }

    [Fact]
    public void AnExitExceptionInAWorkerEndsOnlyThatWorker()
    {
        SkipUnlessSupported();
        using var host = new HostProcess("tcp", "127.0.0.1:0", "0");
        string first = Peers.Ask("tcp", host.Address, "pid").Trim();
        Assert.Equal(string.Empty, Peers.Ask("tcp", host.Address, "exit"));
        string second = Peers.Ask("tcp", host.Address, "pid").Trim();
        Assert.NotEqual(first, second);
        Assert.Equal(0, host.Close().ExitCode);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Reads one CRLF line byte by byte, so that nothing after it (the TLS handshake) is read ahead.</summary>
    private static string ReadPlainLine(NetworkStream stream)
    {
        var line = new StringBuilder();
        int next;
        while ((next = stream.ReadByte()) >= 0 && next != '\n')
        {
            line.Append((char)next);
        }

        return line.ToString().TrimEnd('\r');
    }

    /// <summary>A self-signed certificate for localhost as PEM files in the test's directory; returns its thumbprint.</summary>
    private string WriteSelfSignedCertificate(out string certificatePath, out string keyPath)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        using X509Certificate2 certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(7));
        certificatePath = Path.Combine(_directory, "server.crt");
        keyPath = Path.Combine(_directory, "server.key");
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, rsa.ExportPkcs8PrivateKeyPem());
        return certificate.GetCertHashString();
    }

    internal static void SkipUnlessSupported()
    {
        if (!OperatingSystem.IsLinux() || IntPtr.Size != 8)
        {
            Assert.Skip("the forking servers pass descriptors with SCM_RIGHTS, implemented for 64-bit Linux");
        }
    }

    private string AddressFor(string kind) => kind.StartsWith("unix", StringComparison.Ordinal)
        ? Path.Combine(_directory, kind + ".sock")
        : new IPEndPoint(IPAddress.Loopback, 0).ToString();
}
