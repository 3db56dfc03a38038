using SocketServer.Internal;
namespace SocketServer.Internal.Dispatch;

/// <summary>
/// A threading server could not start a thread for a request. On Linux, .NET reports a process out of descriptors this
/// way (an <see cref="OutOfMemoryException"/> from <see cref="Thread.Start()"/>), often before accepting fails with
/// EMFILE; the loop treats it as running out of descriptors: the connection is closed and accepting pauses.
/// </summary>
internal sealed class RequestThreadStartException : Exception
{
    public RequestThreadStartException(Exception innerException)
        : base($"could not start a thread for the request ({innerException.GetType().Name}: the process is probably out of descriptors or memory)", innerException)
    {
    }
}
