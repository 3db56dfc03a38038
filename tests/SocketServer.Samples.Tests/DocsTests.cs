using System.Reflection;
using System.Text.RegularExpressions;
using SocketServer.Samples.Tests.Infrastructure;

namespace SocketServer.Samples.Tests;

/// <summary>Keeps docs/python-mapping.md in step with the library's public surface.</summary>
public sealed class DocsTests
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

    private static bool Mentions(string name) => Regex.IsMatch(s_mapping, $@"\b{Regex.Escape(name)}\b");

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
