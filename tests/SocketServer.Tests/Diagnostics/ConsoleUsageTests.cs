namespace SocketServer.Tests.Diagnostics;

/// <summary>The library writes to the console in one place only: the default sink.</summary>
public sealed class ConsoleUsageTests
{
    private const string DefaultSink = "Internal/Diagnostics/StandardErrorLogger.cs";


    [Fact]
    public void OnlyTheDefaultSinkTouchesTheConsole()
    {
        string library = Path.Combine(RepositoryRoot(), "src", "SocketServer");
        List<string> offenders = [.. Directory.EnumerateFiles(library, "*.cs", SearchOption.AllDirectories)
            .Where(static path => !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Where(static path => File.ReadAllText(path).Contains("Console.", StringComparison.Ordinal))
            .Select(path => Path.GetRelativePath(library, path).Replace(Path.DirectorySeparatorChar, '/'))
            .Order(StringComparer.Ordinal)];

        Assert.Equal([DefaultSink], offenders);
    }

    /// <summary>The repository's root: the first folder up from the test's binaries that holds the solution.</summary>
    private static string RepositoryRoot()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "SocketServer.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No SocketServer.slnx above {AppContext.BaseDirectory}.");
    }
}
