using System.Runtime.InteropServices;

namespace SocketServer.Samples.Tests.Infrastructure;

/// <summary>Finds the repository, the samples' built assemblies and the <c>dotnet</c> host that runs them.</summary>
internal static class SamplePaths
{
    private const string TestProjectName = "SocketServer.Samples.Tests";

    /// <summary>The repository root: the nearest directory above the test's output that holds SocketServer.slnx.</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>The <c>dotnet</c> executable running this test, so the samples run on the same runtime.</summary>
    public static string DotnetHost { get; } = FindDotnetHost();

    /// <summary>
    /// The sample's built assembly. The test project references every sample, so they are built with the same
    /// configuration and framework; their output lies at the same place under their own project directory.
    /// </summary>
    public static string Dll(string sampleName)
    {
        string testProjectDirectory = Path.Combine(RepositoryRoot, "tests", TestProjectName);
        string outputSuffix = Path.GetRelativePath(testProjectDirectory, AppContext.BaseDirectory);
        string dll = Path.Combine(RepositoryRoot, "samples", sampleName, outputSuffix, sampleName + ".dll");
        Assert.True(File.Exists(dll), $"The sample {sampleName} was not built at {dll}.");
        return dll;
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "SocketServer.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"SocketServer.slnx not found above {AppContext.BaseDirectory}.");
    }

    private static string FindDotnetHost()
    {
        string executable = RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? "dotnet.exe" : "dotnet";
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath))
        {
            return hostPath;
        }

        // The runtime lives in <dotnet root>/shared/Microsoft.NETCore.App/<version>/.
        string root = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
        string candidate = Path.Combine(root, executable);
        return File.Exists(candidate) ? candidate : executable;
    }
}
