namespace SocketServer.Hosting.Tests.Infrastructure;

/// <summary>Bounds on waits in tests: generous, so they only fire when something is really stuck.</summary>
internal static class TestTimeouts
{
    public static readonly TimeSpan Long = TimeSpan.FromSeconds(30);
}
