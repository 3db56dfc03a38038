namespace SocketServer.Tests.Infrastructure;

/// <summary>Tests that count the process's descriptors or threads run alone, after the parallel ones.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SequentialCollection
{
    public const string Name = "Sequential";
}
