using System.Net.Sockets;
using System.Runtime.Versioning;
using SocketServer.Internal;
using SocketServer.Internal.Unix;
using SocketServer.Protocols;
using SocketServer.Tests.Infrastructure;

namespace SocketServer.Tests;

/// <summary>
/// The opt-in socket-file options of the Unix servers (reliability matrix rows 15 and 16): stale-file recovery,
/// removal on close, mode and group. The faithful default (never unlink) is covered in <see cref="BindTests"/>.
/// </summary>
public sealed class UnixSocketFileTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public static TheoryData<ServerKind> Kinds => UnixServers.Kinds;

    [Theory]
    [MemberData(nameof(Kinds))]
    public void AStaleFileIsRecoveredWhenEnabled(ServerKind kind)
    {
        UnixServers.SkipUnlessLinux();
        string path = _directory.NewSocketPath();
        UnixServers.LeaveStaleFile(kind, path);

        using TcpServer server = UnixServers.Create(kind, path, new SocketFileSettings(Recover: true));
        UnixServers.AssertServes(kind, server, _directory);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void AStaleFileIsRefusedByDefault(ServerKind kind)
    {
        string path = _directory.NewSocketPath();
        UnixServers.LeaveStaleFile(kind, path);

        var e = Assert.Throws<ServerBindException>(() => UnixServers.Create(kind, path));
        Assert.Equal(SocketError.AddressAlreadyInUse, e.SocketErrorCode);
        Assert.True(File.Exists(path), "the default never unlinks");
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void WithoutRecoveryTheRefusalTellsAStaleFileALiveServerAndAFileApart(ServerKind kind)
    {
        UnixServers.SkipUnlessLinux();
        string stale = _directory.NewSocketPath();
        UnixServers.LeaveStaleFile(kind, stale);
        string live = _directory.NewSocketPath();
        using TcpServer owner = UnixServers.Create(kind, live);
        string regular = _directory.NewSocketPath();
        File.WriteAllText(regular, "precious");

        Assert.EndsWith($": '{stale}' is a stale socket file (no server listens on it); remove it and start again.", Assert.Throws<ServerBindException>(() => UnixServers.Create(kind, stale)).Message, StringComparison.Ordinal);
        Assert.EndsWith($": another server is listening on '{live}'; stop it or choose another path.", Assert.Throws<ServerBindException>(() => UnixServers.Create(kind, live)).Message, StringComparison.Ordinal);
        Assert.EndsWith($": '{regular}' is a regular file, not a socket; it was left untouched: remove it or choose another path.", Assert.Throws<ServerBindException>(() => UnixServers.Create(kind, regular)).Message, StringComparison.Ordinal);
        Assert.True(File.Exists(stale), "the default never unlinks");
        UnixServers.AssertServes(kind, owner, _directory);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void RecoveryWithNothingAtThePathJustBinds(ServerKind kind)
    {
        string path = _directory.NewSocketPath();
        using TcpServer server = UnixServers.Create(kind, path, new SocketFileSettings(Recover: true));
        UnixServers.AssertServes(kind, server, _directory);
    }

    [Fact]
    public void AnOverrideInADerivedClassRecoversDuringConstruction()
    {
        UnixServers.SkipUnlessLinux();
        string path = _directory.NewSocketPath();
        UnixServers.LeaveStaleFile(ServerKind.UnixStream, path);

        using var server = new RecoveringServer(path);
        UnixServers.AssertServes(ServerKind.UnixStream, server, _directory);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void ALiveOwnerIsRefusedNamingThePath(ServerKind kind)
    {
        UnixServers.SkipUnlessLinux();
        string path = _directory.NewSocketPath();
        using TcpServer owner = UnixServers.Create(kind, path);

        var e = Assert.Throws<ServerBindException>(() => UnixServers.Create(kind, path, new SocketFileSettings(Recover: true)));
        Assert.Equal(SocketError.AddressAlreadyInUse, e.SocketErrorCode);
        Assert.EndsWith($": another server is listening on '{path}'; stop it or choose another path.", e.Message, StringComparison.Ordinal);
        UnixServers.AssertServes(kind, owner, _directory);
    }

    [Theory]
    [InlineData(ServerKind.UnixStream, ServerKind.UnixDatagram)]
    [InlineData(ServerKind.UnixDatagram, ServerKind.UnixStream)]
    public void TheProbeUnderstandsAFileOfTheOtherSocketType(ServerKind owner, ServerKind newcomer)
    {
        UnixServers.SkipUnlessLinux();
        string livePath = _directory.NewSocketPath();
        using TcpServer live = UnixServers.Create(owner, livePath);
        var e = Assert.Throws<ServerBindException>(() => UnixServers.Create(newcomer, livePath, new SocketFileSettings(Recover: true)));
        Assert.Contains("another server is listening", e.Message, StringComparison.Ordinal);

        string stalePath = _directory.NewSocketPath();
        UnixServers.LeaveStaleFile(owner, stalePath);
        using TcpServer recovered = UnixServers.Create(newcomer, stalePath, new SocketFileSettings(Recover: true));
        UnixServers.AssertServes(newcomer, recovered, _directory);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void ARegularFileIsRefusedAndLeftIntact(ServerKind kind)
    {
        UnixServers.SkipUnlessLinux();
        string path = _directory.NewSocketPath();
        File.WriteAllText(path, "precious");

        var e = Assert.Throws<ServerBindException>(() => UnixServers.Create(kind, path, new SocketFileSettings(Recover: true)));
        Assert.Equal(SocketError.AddressAlreadyInUse, e.SocketErrorCode);
        Assert.EndsWith($": '{path}' is a regular file, not a socket; it was left untouched: remove it or choose another path.", e.Message, StringComparison.Ordinal);
        Assert.Equal("precious", File.ReadAllText(path));
    }

    [Fact]
    public void ADirectoryIsRefusedAndLeftIntact()
    {
        UnixServers.SkipUnlessLinux();
        string path = _directory.NewSocketPath();
        Directory.CreateDirectory(path);

        var e = Assert.Throws<ServerBindException>(() => UnixServers.Create(ServerKind.UnixStream, path, new SocketFileSettings(Recover: true)));
        Assert.Contains($"'{path}' is a directory, not a socket", e.Message, StringComparison.Ordinal);
        Assert.True(Directory.Exists(path));
    }

    [Fact]
    public void ASymbolicLinkToAStaleSocketIsRefusedAndLeftIntact()
    {
        UnixServers.SkipUnlessLinux();
        string target = _directory.NewSocketPath();
        UnixServers.LeaveStaleFile(ServerKind.UnixStream, target);
        string link = _directory.NewSocketPath("link");
        File.CreateSymbolicLink(link, target);

        var e = Assert.Throws<ServerBindException>(() => UnixServers.Create(ServerKind.UnixStream, link, new SocketFileSettings(Recover: true)));
        Assert.Contains($"'{link}' is a symbolic link, not a socket", e.Message, StringComparison.Ordinal);
        Assert.NotNull(new FileInfo(link).LinkTarget);
        Assert.True(File.Exists(target));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void RemoveOnCloseRemovesTheFile(ServerKind kind)
    {
        UnixServers.SkipUnlessLinux();
        string path = _directory.NewSocketPath();
        TcpServer server = UnixServers.Create(kind, path, new SocketFileSettings(RemoveOnClose: true));
        Assert.True(File.Exists(path));

        server.ServerClose();
        Assert.False(File.Exists(path));
        server.ServerClose();
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void RemoveOnCloseLeavesAnotherServersFile(ServerKind kind)
    {
        UnixServers.SkipUnlessLinux();
        string path = _directory.NewSocketPath();
        TcpServer first = UnixServers.Create(kind, path, new SocketFileSettings(RemoveOnClose: true));
        // Someone removes our file and binds the path again: what is there now is theirs.
        File.Delete(path);
        using TcpServer second = UnixServers.Create(kind, path);

        first.ServerClose();
        Assert.True(File.Exists(path));
        UnixServers.AssertServes(kind, second, _directory);
    }

    [Fact]
    public void RemoveOnCloseLeavesARegularFilePutInItsPlace()
    {
        UnixServers.SkipUnlessLinux();
        string path = _directory.NewSocketPath();
        TcpServer server = UnixServers.Create(ServerKind.UnixStream, path, new SocketFileSettings(RemoveOnClose: true));
        File.Delete(path);
        File.WriteAllText(path, "not ours");

        server.ServerClose();
        Assert.Equal("not ours", File.ReadAllText(path));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    [SupportedOSPlatform("linux")]
    public void TheModeIsAppliedRightAfterBind(ServerKind kind)
    {
        UnixServers.SkipUnlessLinux();
        const UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite;
        string path = _directory.NewSocketPath();
        using TcpServer server = UnixServers.Create(kind, path, new SocketFileSettings(Mode: mode));

        Assert.Equal(mode, File.GetUnixFileMode(path));
        UnixServers.AssertServes(kind, server, _directory);
    }

    [Fact]
    [SupportedOSPlatform("linux")]
    public void TheDefaultLeavesTheUmasksMode()
    {
        UnixServers.SkipUnlessLinux();
        string probePath = _directory.NewSocketPath("probe");
        using (var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            probe.Bind(new UnixDomainSocketEndPoint(probePath));
            UnixFileMode umaskMode = File.GetUnixFileMode(probePath);
            string path = _directory.NewSocketPath();
            using TcpServer server = UnixServers.Create(ServerKind.UnixStream, path);
            Assert.Equal(umaskMode, File.GetUnixFileMode(path));
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    [SupportedOSPlatform("linux")]
    public void TheGroupCanBeTheProcesssOwnGroup(bool byName)
    {
        UnixServers.SkipUnlessLinux();
        // A new file takes the process's effective group: that is a group the process may always choose.
        string plain = Path.Combine(_directory.Path, "plain");
        File.WriteAllText(plain, "");
        uint gid = UnixFileStatus.Read(plain)!.Value.GroupId;
        string? group = byName ? GroupName(gid) : gid.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (group is null)
        {
            Assert.Skip($"gid {gid} has no name in /etc/group");
        }

        string path = _directory.NewSocketPath();
        using TcpServer server = UnixServers.Create(ServerKind.UnixStream, path, new SocketFileSettings(Group: group, Mode: (UnixFileMode)0b110_110_000));
        Assert.Equal(gid, UnixFileStatus.Read(path)!.Value.GroupId);
        Assert.Equal((UnixFileMode)0b110_110_000, File.GetUnixFileMode(path));
    }

    [Fact]
    public void AGroupTheProcessIsNotInIsRefusedClearly()
    {
        UnixServers.SkipUnlessLinux();
        if (Environment.UserName == "root")
        {
            Assert.Skip("root may give a file any group");
        }

        // Group 0 (root): an unprivileged process is almost never a member, so chown(2) answers EPERM.
        string path = _directory.NewSocketPath();
        var e = Assert.Throws<ServerBindException>(() => UnixServers.Create(ServerKind.UnixStream, path, new SocketFileSettings(Group: "0")));
        Assert.Equal(SocketError.AccessDenied, e.SocketErrorCode);
        Assert.Contains($"cannot give '{path}' the group '0'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnknownGroupFailsClearlyAndTheNewFileIsRemovedWhenAsked()
    {
        UnixServers.SkipUnlessLinux();
        string path = _directory.NewSocketPath();
        var e = Assert.Throws<ServerBindException>(() =>
            UnixServers.Create(ServerKind.UnixDatagram, path, new SocketFileSettings(RemoveOnClose: true, Group: "no-such-group-ss")));
        Assert.Equal(SocketError.InvalidArgument, e.SocketErrorCode);
        Assert.Equal($"Cannot bind unix-dgram:{path}: cannot give '{path}' the group 'no-such-group-ss': no such group.", e.Message);
        Assert.False(File.Exists(path), "the failed constructor closed the server, which removed the file it made");
    }

    [Fact]
    public void AnAbstractNameBindsWithoutAFile()
    {
        UnixServers.SkipUnlessLinux();
        string name = "ss-test-" + Guid.NewGuid().ToString("N")[..12];
        // Every file option is given, and each must be a no-op: there is no file to recover, chmod, chown or remove.
        var settings = new SocketFileSettings(Recover: true, RemoveOnClose: true, Mode: UnixFileMode.UserRead | UnixFileMode.UserWrite, Group: "no-such-group-ss");
        using TcpServer server = UnixServers.Create(ServerKind.UnixStream, "\0" + name, settings);

        var address = Assert.IsType<UnixDomainSocketEndPoint>(server.ServerAddress);
        Assert.True(UnixAddress.IsAbstract(address));
        Assert.Equal("@" + name, address.ToString());
        Assert.Equal($"unix:@{name}", EndPointFormatter.Format(server.ServerAddress, SocketType.Stream));
        Assert.Equal($"unix-dgram:@{name}", EndPointFormatter.Format(server.ServerAddress, SocketType.Dgram));
        Assert.False(File.Exists(name));
        Assert.Empty(Directory.GetFileSystemEntries(_directory.Path));
        UnixServers.AssertServes(ServerKind.UnixStream, server, _directory);
    }

    [Fact]
    public void ATakenAbstractNameFailsAsInUse()
    {
        UnixServers.SkipUnlessLinux();
        string name = "\0ss-test-" + Guid.NewGuid().ToString("N")[..12];
        using TcpServer first = UnixServers.Create(ServerKind.UnixDatagram, name);
        var e = Assert.Throws<ServerBindException>(() => UnixServers.Create(ServerKind.UnixDatagram, name, new SocketFileSettings(Recover: true)));
        Assert.Equal(SocketError.AddressAlreadyInUse, e.SocketErrorCode);
        Assert.StartsWith($"Cannot bind unix-dgram:@{name[1..]}: the address is already in use", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AFileNamedWithAnAtSignIsAPathNotAnAbstractName()
    {
        // .NET writes an abstract name as "@name" too; only the serialised address tells them apart.
        var file = new UnixDomainSocketEndPoint("@relative.sock");
        Assert.False(UnixAddress.IsAbstract(file));
        Assert.Equal("@relative.sock", UnixAddress.FilePath(file));
        Assert.Null(UnixAddress.FilePath(new UnixDomainSocketEndPoint("\0abstract")));
    }

    public void Dispose() => _directory.Dispose();

    private static string? GroupName(uint gid)
    {
        // name:password:gid:members, as group(5) lays it out.
        string gidText = gid.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return File.Exists("/etc/group")
            ? File.ReadLines("/etc/group").Select(line => line.Split(':')).FirstOrDefault(f => f.Length > 2 && f[2] == gidText)?[0]
            : null;
    }

    private sealed class RecoveringServer(string path) : UnixStreamServer(path, () => new EchoStreamHandler())
    {
        public override bool RecoverStaleSocketFile => true;
    }
}
