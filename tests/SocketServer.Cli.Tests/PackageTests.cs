using System.Reflection;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using SocketServer.Cli.Tests.Infrastructure;

namespace SocketServer.Cli.Tests;

/// <summary>
/// What <c>dotnet pack</c> makes of src/ (the settings in src/Directory.Build.props and the CLI's project): each
/// package carries its readme, the MIT licence, the repository and its symbols, the versions agree, and the tool
/// package installs the command <c>socketserver</c>. .ci/packaging goes further: it installs the tool from the
/// packages and runs it, and publishes the CLI as Native AOT.
/// </summary>
public sealed partial class PackageTests(PackedPackages packages) : IClassFixture<PackedPackages>
{
    private const string RepositoryUrl = "https://github.com/socketserver-dotnet/socketserver";

    [Theory]
    [InlineData("SocketServer", "src/SocketServer/README.md")]
    [InlineData("SocketServer.Cli", "src/SocketServer.Cli/README.md")]
    [InlineData("SocketServer.Hosting", "src/SocketServer.Hosting/README.md")]
    public void PackageHasItsReadmeTheMitLicenceAndTheRepository(string id, string readme)
    {
        NuGetPackage package = packages.Package(id);

        Assert.Equal("README.md", package.Value("readme"));
        Assert.Contains("README.md", package.Entries);
        Assert.Equal(File.ReadAllBytes(Path.Combine(packages.Repository, readme)), package.ReadEntry("README.md"));

        XElement? license = package.Element("license");
        Assert.NotNull(license);
        Assert.Equal("expression", license.Attribute("type")?.Value);
        Assert.Equal("MIT", license.Value);

        XElement? repository = package.Element("repository");
        Assert.NotNull(repository);
        Assert.Equal("git", repository.Attribute("type")?.Value);
        Assert.Equal(RepositoryUrl, repository.Attribute("url")?.Value);
        // The commit is known wherever git is (always in CI); a build from a source archive has none.
        if (repository.Attribute("commit")?.Value is { } commit)
        {
            Assert.Matches(CommitPattern(), commit);
        }

        Assert.Equal(RepositoryUrl, package.Value("projectUrl"));
        Assert.False(string.IsNullOrWhiteSpace(package.Value("description")), $"{id} has no description");
    }

    [Fact]
    public void LibraryPackageHasTheAssemblyItsDocumentationAndItsSymbols()
    {
        NuGetPackage package = packages.Package("SocketServer");

        Assert.Contains("lib/net10.0/SocketServer.dll", package.Entries);
        Assert.Contains("lib/net10.0/SocketServer.xml", package.Entries);
        Assert.DoesNotContain("lib/net10.0/SocketServer.pdb", package.Entries);
        Assert.Contains("lib/net10.0/SocketServer.pdb", NuGetPackage.Open(package.SymbolPackagePath).Entries);
    }

    [Fact]
    public void HostingPackageHasItsAssemblyAndDependsOnTheLibraryOfItsOwnVersion()
    {
        NuGetPackage package = packages.Package("SocketServer.Hosting");

        Assert.Contains("lib/net10.0/SocketServer.Hosting.dll", package.Entries);
        Assert.Contains("lib/net10.0/SocketServer.Hosting.xml", package.Entries);
        Assert.Contains("lib/net10.0/SocketServer.Hosting.pdb", NuGetPackage.Open(package.SymbolPackagePath).Entries);
        XElement[] dependencies = [.. package.Metadata.Descendants(package.Metadata.Name.Namespace + "dependency")];
        XElement library = Assert.Single(dependencies, static d => d.Attribute("id")?.Value == "SocketServer");
        Assert.Equal(package.Version, library.Attribute("version")?.Value);
        Assert.Contains(dependencies, static d => d.Attribute("id")?.Value == "Microsoft.Extensions.Hosting");
    }

    [Fact]
    public void ToolPackageInstallsTheSocketserverCommand()
    {
        NuGetPackage package = packages.Package("SocketServer.Cli");

        XElement packageType = Assert.Single(package.Element("packageTypes")?.Elements() ?? []);
        Assert.Equal("DotnetTool", packageType.Attribute("name")?.Value);

        string settingsPath = Assert.Single(package.Entries, static e => e.EndsWith("/DotnetToolSettings.xml", StringComparison.Ordinal));
        Assert.Equal("tools/net10.0/any/DotnetToolSettings.xml", settingsPath);
        using var settingsStream = new MemoryStream(package.ReadEntry(settingsPath));
        XElement command = Assert.Single(XDocument.Load(settingsStream).Descendants("Command"));
        Assert.Equal("socketserver", command.Attribute("Name")?.Value);
        Assert.Equal("SocketServer.Cli.dll", command.Attribute("EntryPoint")?.Value);
        Assert.Equal("dotnet", command.Attribute("Runner")?.Value);

        // A framework-dependent tool: the DLLs and runtime config, no apphost (whatever its name) and no XML docs.
        Assert.Contains("tools/net10.0/any/SocketServer.Cli.dll", package.Entries);
        Assert.Contains("tools/net10.0/any/SocketServer.Cli.runtimeconfig.json", package.Entries);
        Assert.Contains("tools/net10.0/any/SocketServer.dll", package.Entries);
        Assert.DoesNotContain("tools/net10.0/any/socketserver", package.Entries);
        Assert.DoesNotContain("tools/net10.0/any/SocketServer.Cli", package.Entries);
        Assert.DoesNotContain(package.Entries, static e =>
            e.StartsWith("tools/", StringComparison.Ordinal) && e.EndsWith(".xml", StringComparison.Ordinal) && !e.EndsWith("/DotnetToolSettings.xml", StringComparison.Ordinal));
        Assert.Empty(package.Element("dependencies")?.Elements() ?? []);
        Assert.Contains("tools/net10.0/any/SocketServer.Cli.pdb", NuGetPackage.Open(package.SymbolPackagePath).Entries);
    }

    [Fact]
    public void PackagesShareTheVersionTheAssembliesWereBuiltWith()
    {
        NuGetPackage library = packages.Package("SocketServer");
        NuGetPackage tool = packages.Package("SocketServer.Cli");

        Assert.Matches(SemanticVersionPattern(), library.Version);
        Assert.Equal(library.Version, tool.Version);
        string built = typeof(ServeCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "";
        Assert.True(built == tool.Version || built.StartsWith(tool.Version + "+", StringComparison.Ordinal),
            $"The CLI reports version {built}, its package is {tool.Version}");
    }

    [GeneratedRegex("^[0-9a-f]{40}$")]
    private static partial Regex CommitPattern();

    // MinVer's versions: MAJOR.MINOR.PATCH with an optional pre-release (0.0.0-alpha.0.N before the first tag).
    [GeneratedRegex(@"^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$")]
    private static partial Regex SemanticVersionPattern();
}
