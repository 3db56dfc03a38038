using System.Reflection;
using System.Text.RegularExpressions;
using SocketServer.Samples.Tests.Infrastructure;

namespace SocketServer.Samples.Tests;

/// <summary>Keeps docs/python-mapping.md in step with the library's public surface, and the docs standing on their own.</summary>
public sealed partial class DocsTests
{
    private static readonly string s_mapping =
        File.ReadAllText(Path.Combine(SamplePaths.RepositoryRoot, "docs", "python-mapping.md"));

    public static TheoryData<string> PublicTypes()
    {
        var data = new TheoryData<string>();
        foreach (Type type in typeof(BaseServer).Assembly.GetExportedTypes())
        {
            data.Add(SimpleName(type));
        }

        return data;
    }

    public static TheoryData<string> PublicMembers()
    {
        var data = new TheoryData<string>();
        const BindingFlags declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance |
            BindingFlags.Static | BindingFlags.DeclaredOnly;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (Type type in typeof(BaseServer).Assembly.GetExportedTypes())
        {
            foreach (MemberInfo member in type.GetMembers(declared))
            {
                if (IsNewVisibleMember(member) && seen.Add($"{SimpleName(type)}.{member.Name}"))
                {
                    data.Add($"{SimpleName(type)}.{member.Name}");
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(PublicTypes))]
    public void EveryPublicTypeIsInTheMapping(string typeName) =>
        Assert.True(Mentions(typeName), $"{typeName} is not mentioned in docs/python-mapping.md.");

    [Theory]
    [MemberData(nameof(PublicMembers))]
    public void EveryPublicOrProtectedMemberIsInTheMapping(string member)
    {
        string name = member[(member.IndexOf('.', StringComparison.Ordinal) + 1)..];
        Assert.True(Mentions(name), $"{member} is not mentioned in docs/python-mapping.md.");
    }

    /// <summary>README.md and every docs/*.md file, relative to the repository root.</summary>
    public static TheoryData<string> MarkdownFiles()
    {
        var data = new TheoryData<string> { "README.md" };
        foreach (string path in Directory.GetFiles(Path.Combine(SamplePaths.RepositoryRoot, "docs"), "*.md").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetRelativePath(SamplePaths.RepositoryRoot, path));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(MarkdownFiles))]
    public void EveryRelativeLinkResolvesToAFileInTheRepository(string file)
    {
        string root = Path.GetFullPath(SamplePaths.RepositoryRoot);
        string path = Path.Combine(root, file);
        string directory = Path.GetDirectoryName(path)!;
        List<string> broken = [];
        // Markdown links, and relative paths quoted in code (`../x/y.md`): the docs must stand on their own.
        foreach (Match match in MarkdownLink().Matches(File.ReadAllText(path)).Concat(QuotedRelativePath().Matches(File.ReadAllText(path))))
        {
            string target = match.Groups["target"].Value;
            if (target.Length == 0 || target.StartsWith('#') || UriScheme().IsMatch(target))
            {
                continue;
            }

            string resolved = Path.GetFullPath(Path.Combine(directory, Uri.UnescapeDataString(target.Split('#')[0])));
            bool inside = resolved.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal);
            if (!inside || !(File.Exists(resolved) || Directory.Exists(resolved)))
            {
                broken.Add($"{target} ({(inside ? "missing" : "outside the repository")})");
            }
        }

        Assert.True(broken.Count == 0, $"{file} points to: {string.Join(", ", broken)}");
    }

    private static bool Mentions(string name) => Regex.IsMatch(s_mapping, $@"\b{Regex.Escape(name)}\b");

    // [text](target) and [text](target "title"); images too.
    [GeneratedRegex(@"\]\((?<target>[^)\s]*)(?:\s+""[^""]*"")?\)")]
    private static partial Regex MarkdownLink();

    [GeneratedRegex(@"`(?<target>\.\./[^`\s]+)`")]
    private static partial Regex QuotedRelativePath();

    [GeneratedRegex(@"^[a-zA-Z][a-zA-Z0-9+.-]*:")]
    private static partial Regex UriScheme();

    private static string SimpleName(Type type)
    {
        int tick = type.Name.IndexOf('`', StringComparison.Ordinal);
        return tick < 0 ? type.Name : type.Name[..tick];
    }

    // Members a user can call or override that the type adds itself: not overrides of inherited members (Stream's
    // Read, Seek...), not accessors, constructors or compiler-generated record members.
    private static bool IsNewVisibleMember(MemberInfo member)
    {
        if (member.IsDefined(typeof(System.Runtime.CompilerServices.CompilerGeneratedAttribute)))
        {
            return false;
        }

        return member switch
        {
            MethodInfo method => IsVisible(method) && !method.IsSpecialName && method.GetBaseDefinition() == method
                && method.Name is not ("Deconstruct" or "Equals" or "GetHashCode" or "ToString" or "PrintMembers" or "Dispose"),
            PropertyInfo property => property.GetAccessors(nonPublic: true).FirstOrDefault(IsVisible) is { } accessor
                && accessor.GetBaseDefinition() == accessor && property.Name != "EqualityContract",
            // An enum's value__ field is the runtime's, not ours (IsSpecialName); its named values are checked.
            FieldInfo field => (field.IsPublic || field.IsFamily || field.IsFamilyOrAssembly) && !field.IsSpecialName,
            _ => false,
        };
    }

    private static bool IsVisible(MethodBase method) => method.IsPublic || method.IsFamily || method.IsFamilyOrAssembly;
}
