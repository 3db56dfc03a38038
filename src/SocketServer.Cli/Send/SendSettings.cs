namespace SocketServer.Cli.Send;

/// <summary>How <c>send</c> talks to its server, from its options.</summary>
/// <param name="Target">The server.</param>
/// <param name="Wait"><c>--wait</c>: how long to wait for replies (see docs/cli.md).</param>
/// <param name="ConnectionPerLine"><c>--connection-per-line</c>: a new stream connection for each line.</param>
/// <param name="Tls">The TLS client for a TLS stream target, or null.</param>
internal sealed record SendSettings(SendTarget Target, TimeSpan Wait, bool ConnectionPerLine, TlsClient? Tls)
{
    /// <summary>The default <c>--wait</c>, in seconds.</summary>
    public const double DefaultWaitSeconds = 5;

    /// <summary><see cref="Wait"/> as people read it: <c>5 s</c>, <c>0.5 s</c>.</summary>
    public string WaitText => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Wait.TotalSeconds:0.###} s");
}
