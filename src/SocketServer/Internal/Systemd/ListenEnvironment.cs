using System.Globalization;

namespace SocketServer.Internal.Systemd;

/// <summary>
/// The variables of systemd's socket activation (<c>sd_listen_fds(3)</c>) read and checked: <c>LISTEN_PID</c> must
/// name this process, <c>LISTEN_FDS</c> counts the descriptors from 3, <c>LISTEN_FDNAMES</c> names them. Parsing is
/// separate from the environment so that every bad case can be tested without starting a process.
/// </summary>
internal static class ListenEnvironment
{
    public const string ListenPid = "LISTEN_PID";
    public const string ListenFds = "LISTEN_FDS";
    public const string ListenFdNames = "LISTEN_FDNAMES";

    /// <summary>The first passed descriptor (<c>SD_LISTEN_FDS_START</c>).</summary>
    public const int FirstDescriptor = 3;

    /// <summary>The name of a descriptor systemd did not name (no <c>FileDescriptorName=</c>, or no LISTEN_FDNAMES).</summary>
    public const string UnknownName = "unknown";

    // Far more than any socket unit passes; a larger count is a corrupted variable, not a request to adopt 10^9 descriptors.
    private const int MaxDescriptors = 4096;

    /// <summary>Checks the three variables' values and returns each passed descriptor's name, in descriptor order.</summary>
    /// <param name="listenPid">LISTEN_PID, or null when unset.</param>
    /// <param name="listenFds">LISTEN_FDS, or null when unset.</param>
    /// <param name="listenFdNames">LISTEN_FDNAMES, or null when unset.</param>
    /// <param name="processId">This process's id.</param>
    /// <returns>One name per descriptor (the first is descriptor 3).</returns>
    /// <exception cref="SystemdActivationException">The variables are missing, for another process, or malformed.</exception>
    public static IReadOnlyList<string> Parse(string? listenPid, string? listenFds, string? listenFdNames, int processId)
    {
        if (listenPid is null && listenFds is null)
        {
            throw new SystemdActivationException("no sockets were passed: LISTEN_PID and LISTEN_FDS are not set (start the program from a systemd socket unit, or under systemd-socket-activate).");
        }

        if (listenPid is null || !int.TryParse(listenPid, NumberStyles.None, CultureInfo.InvariantCulture, out int pid) || pid <= 0)
        {
            throw new SystemdActivationException($"LISTEN_PID '{listenPid}' is not a process id.");
        }

        if (pid != processId)
        {
            throw new SystemdActivationException(string.Create(CultureInfo.InvariantCulture, $"LISTEN_PID is {pid}, not this process ({processId}): the sockets were passed to another process (a wrapper that forks instead of exec'ing?)."));
        }

        if (listenFds is null || !int.TryParse(listenFds, NumberStyles.None, CultureInfo.InvariantCulture, out int count) || count > MaxDescriptors)
        {
            throw new SystemdActivationException($"LISTEN_FDS '{listenFds}' is not a number of descriptors.");
        }

        if (count == 0)
        {
            throw new SystemdActivationException("LISTEN_FDS is 0: systemd passed no socket.");
        }

        string[] names = listenFdNames?.Split(':') ?? [];
        if (listenFdNames is not null && names.Length != count)
        {
            throw new SystemdActivationException(string.Create(CultureInfo.InvariantCulture, $"LISTEN_FDNAMES names {names.Length} descriptors but LISTEN_FDS is {count}."));
        }

        return [.. Enumerable.Range(0, count).Select(i => i < names.Length && names[i].Length > 0 ? names[i] : UnknownName)];
    }
}
