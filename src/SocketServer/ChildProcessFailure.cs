using System.Globalization;
using System.Net;

namespace SocketServer;

/// <summary>A worker process of a forking server that died or was killed, as the parent saw it.</summary>
/// <param name="ProcessId">The worker's process id.</param>
/// <param name="ExitCode">
/// The exit code; on Unix a process killed by a signal reports 128 plus the signal's number (137 for SIGKILL,
/// 134 for SIGABRT, which <see cref="Environment.FailFast(string)"/> raises).
/// </param>
/// <param name="ClientAddress">The client whose request the worker was serving, or <see langword="null"/> if it was idle.</param>
/// <param name="Reason">What happened, in words.</param>
public sealed record ChildProcessFailure(int ProcessId, int ExitCode, EndPoint? ClientAddress, string Reason)
{
    /// <summary>One line for logs: the pid, the client, the reason and the exit code.</summary>
    /// <returns>The description.</returns>
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"Worker process {ProcessId}{(ClientAddress is null ? string.Empty : $" serving {ClientAddress}")} {Reason} (exit code {ExitCode}{SignalNote})");

    private string SignalNote => !OperatingSystem.IsWindows() && ExitCode > 128 && ExitCode < 128 + 65
        ? string.Create(CultureInfo.InvariantCulture, $", signal {ExitCode - 128}")
        : string.Empty;
}
