namespace SocketServer.Tests.Infrastructure;

/// <summary>The opt-in socket-file options of the Unix servers, to apply to either kind alike.</summary>
internal sealed record SocketFileSettings(
    bool Recover = false,
    bool RemoveOnClose = false,
    UnixFileMode? Mode = null,
    string? Group = null);
