using System.Diagnostics;
using System.IO.Compression;
using System.Xml.Linq;

namespace SocketServer.Cli.Tests.Infrastructure;

/// <summary>
/// The NuGet packages of every project under src/, packed once into a temporary folder with
/// <c>dotnet pack --no-build</c> from the build these tests run on (a few seconds: nothing is compiled again).
/// </summary>
public sealed class PackedPackages : IAsyncLifetime
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    /// <summary>A bound on one pack, so that a hang fails instead of blocking CI.</summary>
    private static readonly TimeSpan s_packBound = TimeSpan.FromMinutes(3);

    private readonly TempDirectory _directory = new();

    /// <summary>The repository's root folder (the one holding SocketServer.slnx).</summary>
    public string Repository { get; } = FindRepository();

    /// <summary>The folder the packages were packed into.</summary>
    public string Folder => _directory.Path;

    public async ValueTask InitializeAsync()
    {
        foreach (string project in Directory.GetDirectories(Path.Combine(Repository, "src")).Order(StringComparer.Ordinal))
        {
            if (Directory.GetFiles(project, "*.csproj").Length > 0)
            {
                await PackAsync(project);
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        _directory.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>The package <paramref name="id"/> (not its symbol package); fails the test when there is none.</summary>
    public NuGetPackage Package(string id)
    {
        string[] candidates = Directory.GetFiles(Folder, $"{id}.*.nupkg")
            .Where(path => NuGetPackage.Open(path).Id == id)
            .ToArray();
        string path = Assert.Single(candidates);
        return NuGetPackage.Open(path);
    }

    private async Task PackAsync(string project)
    {
        var startInfo = new ProcessStartInfo(CliProcess.DotnetHost)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in (string[])["pack", project, "-c", Configuration, "--no-build", "-o", Folder])
        {
            startInfo.ArgumentList.Add(argument);
        }

        startInfo.Environment["DOTNET_NOLOGO"] = "1";
        startInfo.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using Process process = Process.Start(startInfo) ?? throw new InvalidOperationException("Could not start dotnet pack");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(s_packBound);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        Assert.True(process.ExitCode == 0, $"dotnet pack {project} exited with {process.ExitCode}:\n{await stdout}\n{await stderr}");
    }

    private static string FindRepository()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "SocketServer.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No SocketServer.slnx above {AppContext.BaseDirectory}");
    }
}

/// <summary>One .nupkg (or .snupkg): its file names and its nuspec.</summary>
public sealed record NuGetPackage(string Path, IReadOnlyList<string> Entries, XElement Metadata)
{
    public string Id => Value("id");

    public string Version => Value("version");

    /// <summary>The symbol package beside this one.</summary>
    public string SymbolPackagePath => System.IO.Path.ChangeExtension(Path, ".snupkg");

    public static NuGetPackage Open(string path)
    {
        using ZipArchive zip = ZipFile.OpenRead(path);
        List<string> entries = [.. zip.Entries.Select(static e => e.FullName)];
        ZipArchiveEntry nuspec = Assert.Single(zip.Entries, static e => !e.FullName.Contains('/', StringComparison.Ordinal) && e.Name.EndsWith(".nuspec", StringComparison.Ordinal));
        using Stream stream = nuspec.Open();
        XElement root = XDocument.Load(stream).Root ?? throw new InvalidDataException($"{path}: empty nuspec");
        return new NuGetPackage(path, entries, root.Element(root.Name.Namespace + "metadata") ?? throw new InvalidDataException($"{path}: no metadata"));
    }

    /// <summary>The text of the metadata element <paramref name="name"/>, or "" when it is absent.</summary>
    public string Value(string name) => Element(name)?.Value ?? "";

    public XElement? Element(string name) => Metadata.Element(Metadata.Name.Namespace + name);

    public byte[] ReadEntry(string name)
    {
        using ZipArchive zip = ZipFile.OpenRead(Path);
        ZipArchiveEntry entry = zip.GetEntry(name) ?? throw new InvalidDataException($"{Path} has no {name}");
        using Stream stream = entry.Open();
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }
}
