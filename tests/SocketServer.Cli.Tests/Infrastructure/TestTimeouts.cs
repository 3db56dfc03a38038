namespace SocketServer.Cli.Tests.Infrastructure;

/// <summary>Bounds on every wait: generous, so they only fire when something is really stuck.</summary>
internal static class TestTimeouts
{
    public static readonly TimeSpan Long = TimeSpan.FromSeconds(30);
}
