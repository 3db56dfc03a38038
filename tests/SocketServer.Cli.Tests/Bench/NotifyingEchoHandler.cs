namespace SocketServer.Cli.Tests.Bench;

/// <summary>
/// An echo that tells the test once bench has counted a round trip (for <see cref="BenchSignalTests"/> only): in pingpong
/// mode a connection sends its next message only after its echo came back whole and was counted, so bytes beyond the
/// first 32-byte message mean at least one counted message. Set any earlier (when the connection is served), a signal
/// could end the run before its first echo and bench would rightly report that nothing came back (exit code 5).
/// </summary>
internal sealed class NotifyingEchoHandler : StreamRequestHandler
{
    /// <summary>The message size the test runs bench with (its default).</summary>
    private const int MessageSize = 32;

    /// <summary>Set when a connection has sent more than its first message.</summary>
    public static ManualResetEventSlim Served { get; } = new();

    protected override void Handle()
    {
        byte[] buffer = new byte[4096];
        long received = 0;
        try
        {
            int read;
            while ((read = RFile.Read(buffer)) > 0)
            {
                received += read;
                if (received > MessageSize)
                {
                    Served.Set();
                }

                WFile.Write(buffer, 0, read);
            }
        }
        catch (IOException)
        {
            // bench closes its connections when the signal stops it, possibly with an echo in flight.
        }
    }
}
