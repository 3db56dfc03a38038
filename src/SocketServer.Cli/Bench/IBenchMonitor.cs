namespace SocketServer.Cli.Bench;

/// <summary>Watches a run as it goes: the live display, or plain progress lines. Called from the runner's sampler, never from a worker.</summary>
internal interface IBenchMonitor
{
    /// <summary>The warm-up has begun.</summary>
    /// <param name="warmup">How long it lasts at most.</param>
    void WarmingUp(TimeSpan warmup);

    /// <summary>Measuring has begun.</summary>
    /// <param name="duration">How long it lasts at most.</param>
    void Measuring(TimeSpan duration);

    /// <summary>One more interval was sampled.</summary>
    /// <param name="sample">The run so far.</param>
    void Sampled(LiveSample sample);
}
