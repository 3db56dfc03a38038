using System.Text.RegularExpressions;
using SocketServer.Cli.Tests.Infrastructure;

namespace SocketServer.Cli.Tests;

/// <summary>
/// <c>send</c> without lines at a terminal, as a person runs it: under <c>script</c>, which gives it a pseudo-terminal.
/// A <c>&gt; </c> prompt, one line sent per Enter, its reply printed before the next prompt, Ctrl-D to end. The test
/// types only once the prompt is there, and reads what the terminal shows: the typed line echoed, then the reply.
/// </summary>
public sealed class SendTerminalTests
{
    [Fact]
    public void PromptsSendsEachLineOnEnterAndPrintsItsEchoUntilCtrlD()
    {
        using var directory = new TempDirectory();
        (CliProcess server, ReadyAddress address) = ServerCases.StartServer("echo", "tcp", "threading", directory);
        using (server)
        using (ChildProcess terminal = OnATerminal("send", address.Uri))
        {
            terminal.WaitForStdout(static o => o.EndsWith("> ", StringComparison.Ordinal));
            terminal.Write("hello\n");
            // The terminal echoes what was typed, then the reply comes, then the next prompt.
            terminal.WaitForStdout(static o => o.EndsWith("hello\r\nhello\r\n> ", StringComparison.Ordinal));
            terminal.Write("again\n");
            terminal.WaitForStdout(static o => o.EndsWith("again\r\nagain\r\n> ", StringComparison.Ordinal));

            // Ctrl-D: the end of input. The connection is half-closed, the echo server closes, send exits with 0.
            terminal.Write("\u0004");

            Assert.Equal(0, terminal.WaitForExit());
            Assert.Equal(0, server.Stop());
        }
    }

    [Fact]
    public void ALineTypedAfterTheServerClosedGoesOnANewConnection()
    {
        using var directory = new TempDirectory();
        (CliProcess server, ReadyAddress address) = ServerCases.StartServer("timestamp", "tcp", "threading", directory);
        using (server)
        using (ChildProcess terminal = OnATerminal("send", address.Uri))
        {
            terminal.WaitForStdout(static o => o.EndsWith("> ", StringComparison.Ordinal));
            terminal.Write("first\n");
            terminal.WaitForStdout(static o => Regex.IsMatch(o, @"\] first\r\n> $"));
            // The timestamp server answered and closed: as the seed's client, send uses a new connection for this one.
            terminal.Write("second\n");
            terminal.WaitForStdout(static o => Regex.IsMatch(o, @"\] second\r\n> $"));
            terminal.Write("\u0004");

            Assert.Equal(0, terminal.WaitForExit());
            Assert.Single(Regex.Matches(terminal.Stdout, @"\] first\r\n"));
            Assert.Single(Regex.Matches(terminal.Stdout, @"\] second\r\n"));
            Assert.Equal(0, server.Stop());
        }
    }

    /// <summary>Starts the CLI under <c>script</c>: its standard input, output and error are a pseudo-terminal.</summary>
    private static ChildProcess OnATerminal(params string[] arguments)
    {
        string script = Tools.Require("script");
        string command = string.Join(' ', new[] { "env", "TERM=dumb", CliProcess.DotnetHost, CliProcess.DllPath }.Concat(arguments).Select(Quote));
        return ChildProcess.Start(script, ["--quiet", "--flush", "--return", "--command", command, "/dev/null"]);
    }

    private static string Quote(string word) => "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
