using SocketServer.Internal;
namespace SocketServer.Internal.Unix;

/// <summary>What a path names, from the S_IFMT bits of its mode; only the kinds the binder treats differently.</summary>
internal enum UnixFileKind
{
    Socket,
    RegularFile,
    Directory,
    SymbolicLink,
    Other,
}
