namespace SocketServer.Cli.Bench;

/// <summary>The command-line names of the <see cref="BenchMode"/> values.</summary>
internal static class BenchModes
{
    /// <summary>Every mode's name, in the order the help lists them.</summary>
    public static readonly string[] Names = ["pingpong", "pipeline", "connrate", "udp", "idle"];

    /// <summary>The name of <paramref name="mode"/>, as typed on the command line.</summary>
    /// <param name="mode">The mode.</param>
    /// <returns>Its name, for example <c>pingpong</c>.</returns>
    public static string Name(BenchMode mode) => Names[(int)mode];

    /// <summary>The mode called <paramref name="name"/>.</summary>
    /// <param name="name">One of <see cref="Names"/>.</param>
    /// <returns>The mode.</returns>
    public static BenchMode Parse(string name)
    {
        int index = Array.IndexOf(Names, name);
        return index >= 0 ? (BenchMode)index : throw new ArgumentOutOfRangeException(nameof(name), name, "Unknown bench mode.");
    }
}
