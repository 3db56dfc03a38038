using System.Collections.Concurrent;

namespace SocketServer.Cli.Tests.Infrastructure;

/// <summary>Finds the real peers (nc, socat, python3) with <c>which</c>, and skips a test when one is missing.</summary>
internal static class Tools
{
    private static readonly ConcurrentDictionary<string, string?> s_found = new();

    /// <summary>Returns the tool's path, or skips the test with the reason.</summary>
    public static string Require(string name) =>
        s_found.GetOrAdd(name, Find) ?? throw SkipException(name);

    private static Exception SkipException(string name)
    {
        Assert.Skip($"{name} not installed");
        return new InvalidOperationException("unreachable");
    }

    private static string? Find(string name)
    {
        ToolRun which;
        try
        {
            which = ToolRun.Run("which", [name]);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }

        string path = which.Stdout.Trim();
        if (which.ExitCode != 0 || path.Length == 0)
        {
            return null;
        }

        // A pyenv shim exists even when it has no interpreter behind it: check that the tool runs.
        return name == "python3" && ToolRun.Run(path, ["-c", "pass"]).ExitCode != 0 ? null : path;
    }
}
