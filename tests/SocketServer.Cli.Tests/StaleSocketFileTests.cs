using System.Text;
using SocketServer.Cli.Tests.Infrastructure;

namespace SocketServer.Cli.Tests;

/// <summary>
/// A server killed with SIGKILL leaves its socket file behind. serve removes it on the next start (only after a
/// connect to it is refused) and says so in one line; <c>--keep-stale-socket</c> refuses instead, and every refusal
/// says which of the three cases it met: a stale socket, a live server, or something that is not a socket.
/// </summary>
public sealed class StaleSocketFileTests
{
    [Theory]
    [InlineData("--unix")]
    [InlineData("--unix-dgram")]
    public void ARestartAfterKill9RemovesTheStaleFileSaysSoAndServes(string option)
    {
        SkipUnlessLinux();
        using var directory = new TempDirectory();
        string path = directory.NewPath();
        LeaveStaleSocketFile(option, path);

        using CliProcess restarted = CliProcess.Start("serve", "echo", option, path);
        ReadyAddress address = Assert.Single(restarted.WaitUntilListening());

        // Written before the ready line, but on another pipe: wait for it rather than read what has come so far.
        string line = $"socketserver: removed the stale socket file '{path}' (no server was listening on it).\n";
        Assert.Equal(line, restarted.Process.WaitForStderr(e => e.Contains('\n', StringComparison.Ordinal)).ReplaceLineEndings("\n"));
        byte[] message = Encoding.ASCII.GetBytes("after kill -9\n");
        Assert.Equal(message, Clients.RoundTrip(address, message, directory));
        Assert.Equal(0, restarted.Stop());
        Assert.False(File.Exists(path), "a clean stop removes the file this run created");
    }

    [Fact]
    public void KeepStaleSocketRefusesAStaleFileNamingIt()
    {
        SkipUnlessLinux();
        using var directory = new TempDirectory();
        string path = directory.NewPath();
        LeaveStaleSocketFile("--unix", path);

        ToolRun run = CliProcess.Run("serve", "echo", "--unix", path, "--keep-stale-socket");

        Assert.Equal($"socketserver: Cannot bind unix:{path}: '{path}' is a stale socket file (no server listens on it); remove it and start again.\n", run.Stderr);
        Assert.Equal("", run.Stdout);
        Assert.Equal(ExitCodes.Address, run.ExitCode);
        Assert.True(File.Exists(path), "--keep-stale-socket leaves the file alone");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ALiveServerIsRefusedAndGoesOnServing(bool keepStaleSocket)
    {
        SkipUnlessLinux();
        using var directory = new TempDirectory();
        string path = directory.NewPath();
        using CliProcess live = CliProcess.Start("serve", "echo", "--unix", path);
        ReadyAddress address = Assert.Single(live.WaitUntilListening());

        ToolRun run = CliProcess.Run(["serve", "echo", "--unix", path, .. keepStaleSocket ? ["--keep-stale-socket"] : Array.Empty<string>()]);

        Assert.Equal($"socketserver: Cannot bind unix:{path}: another server is listening on '{path}'; stop it or choose another path.\n", run.Stderr);
        Assert.Equal("", run.Stdout);
        Assert.Equal(ExitCodes.Address, run.ExitCode);
        Assert.Equal("still here\n"u8.ToArray(), Clients.RoundTrip(address, "still here\n"u8.ToArray(), directory));
        Assert.Equal(0, live.Stop());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ARegularFileIsRefusedAsNotASocketAndLeftIntact(bool keepStaleSocket)
    {
        SkipUnlessLinux();
        using var directory = new TempDirectory();
        string path = directory.NewPath();
        File.WriteAllText(path, "precious");

        ToolRun run = CliProcess.Run(["serve", "echo", "--unix", path, .. keepStaleSocket ? ["--keep-stale-socket"] : Array.Empty<string>()]);

        Assert.Equal($"socketserver: Cannot bind unix:{path}: '{path}' is a regular file, not a socket; it was left untouched: remove it or choose another path.\n", run.Stderr);
        Assert.Equal(ExitCodes.Address, run.ExitCode);
        Assert.Equal("precious", File.ReadAllText(path));
    }

    // A real crash: the server is killed with SIGKILL, so nothing of it runs to remove the file.
    private static void LeaveStaleSocketFile(string option, string path)
    {
        using CliProcess killed = CliProcess.Start("serve", "echo", option, path);
        killed.WaitUntilListening();
        Assert.Equal(128 + Signals.SIGKILL, killed.Stop(Signals.SIGKILL));
        Assert.True(File.Exists(path), "kill -9 leaves the socket file behind");
    }

    private static void SkipUnlessLinux() =>
        Assert.SkipUnless(OperatingSystem.IsLinux(), "telling a stale socket file from a live one needs statx (Linux)");
}
