namespace SocketServer.Internal.Reactor;

/// <summary>
/// The cancellation token a <see cref="DuplexConnection"/>'s parked read or flush was given: registered while the
/// wait is parked, and whether it fired. Made the first time a wait is given a token that can be canceled, then kept
/// for the connection's next waits; a connection whose handler passes no token never has one (the three fields were
/// 28 B of every idle connection, twice).
/// </summary>
internal sealed class ParkedWaitToken
{
    private CancellationToken _token;
    private CancellationTokenRegistration _registration;
    private int _fired;

    /// <summary>Whether the armed token fired. Any thread.</summary>
    public bool Fired => Volatile.Read(ref _fired) != 0;

    /// <summary>
    /// Registers <paramref name="callback"/> with <paramref name="state"/> on <paramref name="token"/> for the wait
    /// being parked; the callback calls <see cref="Fire"/>.
    /// </summary>
    public void Arm(Action<object?> callback, object state, CancellationToken token)
    {
        _token = token;
        _registration = token.UnsafeRegister(callback, state);
    }

    /// <summary>The token's callback: the wait ends canceled. Any thread.</summary>
    public void Fire() => Volatile.Write(ref _fired, 1);

    /// <summary>
    /// Unregisters the token as the wait ends (waiting for a callback that is running). True, with the token, when it
    /// fired and is canceled: the wait ends with an <see cref="OperationCanceledException"/> for it.
    /// </summary>
    public bool Disarm(out CancellationToken canceled)
    {
        _registration.Dispose();
        _registration = default;
        canceled = _token;
        _token = default;
        return Interlocked.Exchange(ref _fired, 0) != 0 && canceled.IsCancellationRequested;
    }
}
