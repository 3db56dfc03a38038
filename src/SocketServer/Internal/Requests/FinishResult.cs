namespace SocketServer.Internal.Requests;

/// <summary>The end of a request run away from the serve loop: how it went, and what escaped the hooks, if anything.</summary>
/// <param name="Outcome">How <c>FinishRequest</c> ended.</param>
/// <param name="Escaped">
/// A <see cref="ServerExitException"/> from <c>FinishRequest</c>, or what <c>HandleError</c> or <c>ShutdownRequest</c>
/// threw: Python hands these to <c>threading.excepthook</c> on a request thread, and a forked child exits with them.
/// </param>
internal readonly record struct FinishResult(RequestOutcome Outcome, Exception? Escaped);
