using SocketServer.Internal;
namespace SocketServer.Internal.Unix;

/// <summary>The opt-in socket-file settings both Unix servers declare; <see cref="UnixSocketBinder"/> reads them.</summary>
internal interface IUnixSocketFileOptions
{
    bool RecoverStaleSocketFile { get; }

    bool RemoveSocketFileOnClose { get; }

    UnixFileMode? SocketFileMode { get; }

    string? SocketFileGroup { get; }
}
