using SocketServer.Internal;

namespace SocketServer.Tests;

/// <summary>The set linked through its members that holds a loop's connections and a tracker's open connections.</summary>
public sealed class LinkedObjectsTests
{
    [Fact]
    public void RemovingFromTheFrontTheMiddleAndTheEndKeepsTheOthers()
    {
        var set = new LinkedObjects<Node>();
        Node[] nodes = [new("a"), new("b"), new("c"), new("d"), new("e")];
        foreach (Node node in nodes)
        {
            set.Add(node);
        }

        // Added at the front: e is first, a last.
        set.Remove(nodes[4]);
        set.Remove(nodes[2]);
        set.Remove(nodes[0]);
        Assert.Equal(2, set.Count);
        Assert.Equal(["b", "d"], set.ToList().Select(node => node.Name).Order());
        Assert.All(new[] { nodes[0], nodes[2], nodes[4] }, node => Assert.False(node.IsLinked));
    }

    [Fact]
    public void ASecondRemovalDoesNothingAndARemovedObjectCanComeBack()
    {
        var set = new LinkedObjects<Node>();
        var a = new Node("a");
        var b = new Node("b");
        set.Add(a);
        set.Add(b);
        set.Remove(a);
        set.Remove(a);
        Assert.Equal(["b"], set.ToList().Select(node => node.Name));
        set.Add(a);
        Assert.Equal(["a", "b"], set.ToList().Select(node => node.Name).Order());
        Assert.Equal(2, set.Count);
    }

    [Fact]
    public void AnObjectAlreadyInASetCannotBeAddedAgain()
    {
        var set = new LinkedObjects<Node>();
        var a = new Node("a");
        set.Add(a);
        Assert.Throws<InvalidOperationException>(() => set.Add(a));
        Assert.Single(set.ToList());
    }

    [Fact]
    public void CopyToAppendsAndALaterRemovalLeavesTheCopyAlone()
    {
        var set = new LinkedObjects<Node>();
        var a = new Node("a");
        var b = new Node("b");
        set.Add(a);
        set.Add(b);
        var copy = new List<Node> { new("x") };
        set.CopyTo(copy);
        // The copy is what callers iterate while ending connections, which removes them from the set.
        foreach (Node node in copy.Skip(1))
        {
            set.Remove(node);
        }

        Assert.Equal(["a", "b", "x"], copy.Select(node => node.Name).Order());
        Assert.Equal(0, set.Count);
        Assert.Empty(set.ToList());
    }

    private sealed class Node(string name) : ILinkedObject<Node>
    {
        public string Name { get; } = name;

        public Node? NextLinked { get; set; }

        public Node? PreviousLinked { get; set; }

        public bool IsLinked { get; set; }
    }
}
