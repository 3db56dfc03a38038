using System.Runtime.Versioning;
using SocketServer.Cli.Tests.Infrastructure;

namespace SocketServer.Cli.Tests;

/// <summary>
/// serve as a user without rights, run under <c>setpriv</c> as <c>nobody</c>: a Unix path in a directory that user
/// cannot write is refused with the directory's permissions as the reason, not privileged ports.
/// </summary>
public sealed class UnixPermissionTests
{
    private static readonly string[] s_asNobody = ["--reuid=nobody", "--regid=nogroup", "--clear-groups"];

    [Fact]
    [SupportedOSPlatform("linux")] // Skipped elsewhere by RequireUnprivilegedRun, before any Unix-only call.
    public void APathInADirectoryTheUserCannotWriteNamesTheDirectory()
    {
        string setpriv = RequireUnprivilegedRun();
        using var directory = new TempDirectory();
        // Owned by root, writable by root only: nobody may search it but not create a file in it.
        File.SetUnixFileMode(directory.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        string path = directory.NewPath();

        ToolRun run = ToolRun.Run(setpriv, [.. s_asNobody, CliProcess.DotnetHost, CliProcess.DllPath, "serve", "echo", "--unix", path]);

        Assert.Equal(
            $"socketserver: Cannot bind unix:{path}: permission denied: this user may not create a file in the directory '{directory.Path}'; choose a path in a directory it can write to.\n",
            run.Stderr);
        Assert.Equal("", run.Stdout);
        Assert.Equal(ExitCodes.Address, run.ExitCode);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void APrivilegedPortStillNamesThePort()
    {
        string setpriv = RequireUnprivilegedRun();

        ToolRun run = ToolRun.Run(setpriv, [.. s_asNobody, CliProcess.DotnetHost, CliProcess.DllPath, "serve", "echo", "--tcp", "127.0.0.1:1"]);

        Assert.Equal("socketserver: Cannot bind tcp://127.0.0.1:1: permission denied (ports below 1024 need privileges).\n", run.Stderr);
        Assert.Equal(ExitCodes.Address, run.ExitCode);
    }

    // Skips, with the reason, unless this runs as root with setpriv, and nobody can run the built CLI (read the
    // dotnet host and the CLI's files): otherwise the test could not show anything.
    private static string RequireUnprivilegedRun()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "setpriv and the nobody user are Linux's");
        Assert.SkipUnless(Environment.UserName == "root", $"changing to the nobody user needs root; running as {Environment.UserName}");
        string setpriv = Tools.Require("setpriv");
        ToolRun probe = ToolRun.Run(setpriv, [.. s_asNobody, CliProcess.DotnetHost, CliProcess.DllPath, "--version"]);
        Assert.SkipUnless(probe.ExitCode == 0, $"nobody cannot run the built CLI ({CliProcess.DllPath}): exit {probe.ExitCode}, {probe.Stderr.Trim()}");
        return setpriv;
    }
}
