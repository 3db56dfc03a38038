using SocketServer.Protocols;

namespace SocketServer.Cli.Tests.Bench;

/// <summary>An echo that first tells the test a client has been served (for <see cref="BenchSignalTests"/> only).</summary>
internal sealed class NotifyingEchoHandler : EchoStreamHandler
{
    /// <summary>Set when any connection reaches a handler.</summary>
    public static ManualResetEventSlim Served { get; } = new();

    protected override void Handle()
    {
        Served.Set();
        base.Handle();
    }
}
