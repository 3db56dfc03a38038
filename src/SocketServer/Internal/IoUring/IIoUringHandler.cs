namespace SocketServer.Internal.IoUring;

/// <summary>Something with operations in flight on an <see cref="IoUringLoop"/>: told of each of their completions.</summary>
internal interface IIoUringHandler
{
    /// <summary>
    /// A completion of an operation this handler submitted, on the loop's thread. <paramref name="kind"/> is what the
    /// handler gave <see cref="IoUringLoop.UserData"/>; <paramref name="result"/> is the operation's result (a
    /// negative errno on failure); <paramref name="flags"/> the completion's flags (<see cref="IoUringNative.CqeMore"/>
    /// while a multishot operation goes on). <paramref name="buffer"/> is the provided buffer the bytes arrived in, or
    /// null; it goes back to the ring when this returns.
    /// </summary>
    unsafe void OnCompletion(byte kind, int result, uint flags, byte* buffer);
}
