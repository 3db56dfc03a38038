namespace SocketServer.Cli.Bench;

/// <summary>What one <c>bench</c> run does, from the command line.</summary>
/// <param name="Mode">The load pattern.</param>
/// <param name="Target">The server to load.</param>
/// <param name="Connections">Connections (sockets for udp, concurrent workers for connrate).</param>
/// <param name="Size">Message size in bytes.</param>
/// <param name="Pipeline">Messages in flight per connection in pipeline mode.</param>
/// <param name="Duration">The measured window, and the bound on the run after the warm-up.</param>
/// <param name="Warmup">The time run before measuring starts; not counted.</param>
/// <param name="MaxMessages">Stop after this many measured messages; <see langword="null"/> for no bound.</param>
/// <param name="Engine">How the sockets are driven.</param>
internal sealed record BenchOptions(
    BenchMode Mode,
    BenchTarget Target,
    int Connections,
    int Size,
    int Pipeline,
    TimeSpan Duration,
    TimeSpan Warmup,
    long? MaxMessages,
    BenchEngine Engine = BenchEngine.Sockets)
{
    /// <summary>How long a udp worker waits for each echoed datagram before counting it lost.</summary>
    public static readonly TimeSpan DatagramTimeout = TimeSpan.FromSeconds(1);

    /// <summary>The most bytes sent or received in one call, which the pattern must cover.</summary>
    public int MaxChunk => Mode == BenchMode.Pipeline ? Size * Pipeline : Size;
}
