using SocketServer.Internal;
namespace SocketServer.Internal.Dispatch;

/// <summary>The settings of Python's <c>ThreadingMixIn</c> that every threading server exposes.</summary>
internal interface IThreadingServer
{
    bool DaemonThreads { get; }

    bool BlockOnClose { get; }

    int MaxIdleThreads { get; }
}
