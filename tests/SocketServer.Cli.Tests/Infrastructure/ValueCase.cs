namespace SocketServer.Cli.Tests.Infrastructure;

/// <summary>
/// One value given to one option: the whole command line, and what the CLI must answer: the exit code and its standard
/// error, exactly (as a regular expression when <see cref="StderrIsPattern"/>). Standard output must stay empty.
/// </summary>
/// <param name="Arguments">The command line; <c>{cert}</c>, <c>{key}</c>, <c>{pfx}</c> stand for <see cref="TlsFiles"/>.</param>
/// <param name="ExitCode">The documented exit code.</param>
/// <param name="Stderr">Standard error, whole.</param>
/// <param name="StderrIsPattern">Whether <paramref name="Stderr"/> is a regular expression (for a system's own words).</param>
internal sealed record ValueCase(string[] Arguments, int ExitCode, string Stderr, bool StderrIsPattern = false);
