using System.CommandLine;
using System.Text.RegularExpressions;
using SocketServer.Cli.Tests.Infrastructure;

namespace SocketServer.Cli.Tests;

/// <summary>
/// <c>--help</c> and <c>--version</c> on every command, the placeholders the help shows for values, and the
/// <c>[suggest]</c> directive that <c>dotnet-suggest</c> calls for tab completion. The help is checked by golden lines,
/// not whole pages, so that rewording one description breaks one line.
/// </summary>
public sealed class HelpAndCompletionTests
{
    public static TheoryData<string> Commands() => ["", "serve", "send", "bench"];

    [Theory]
    [MemberData(nameof(Commands))]
    public void EveryCommandHasHelpNamedAsUsersTypeIt(string command)
    {
        ToolRun run = CliProcess.Run([.. Words(command), "--help"]);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("", run.Stderr);
        string[] lines = Lines(run.Stdout);
        int usage = Array.IndexOf(lines, "Usage:");
        Assert.True(usage >= 0, run.Stdout);
        // Under 'dotnet SocketServer.Cli.dll' the root command is named after the assembly; the help says socketserver.
        Assert.StartsWith(string.Join(' ', ["  socketserver", .. Words(command)]) + " ", lines[usage + 1], StringComparison.Ordinal);
        Assert.Contains(lines, static l => Regex.IsMatch(l, @"^  --version\s+Show version information$"));
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void EveryCommandHasVersion(string command)
    {
        ToolRun root = CliProcess.Run("--version");

        ToolRun run = CliProcess.Run([.. Words(command), "--version"]);

        Assert.Equal((0, ""), (run.ExitCode, run.Stderr));
        Assert.Matches(@"^\d+\.\d+\.\d+(-[0-9A-Za-z.]+)?(\+[0-9a-f]+)?\n$", run.Stdout.ReplaceLineEndings("\n"));
        Assert.Equal(root.Stdout, run.Stdout);
    }

    [Theory]
    [InlineData("", @"^  socketserver \[command\] \[options\]$")]
    [InlineData("", @"^  serve <echo\|discard\|daytime\|chargen\|time\|timestamp>\s+Serve a protocol on one or more listeners")]
    [InlineData("", @"^  send <tcp://HOST:PORT\|udp://HOST:PORT\|unix:PATH\|unix-dgram:PATH> <LINE>\s+Send lines to a server and print its replies\.")]
    [InlineData("", @"^  bench <pingpong\|pipeline\|connrate\|udp\|idle>\s+Load an echo server")]
    [InlineData("serve", @"^  socketserver serve <protocol> \[options\]$")]
    [InlineData("serve", @"^  <echo\|discard\|daytime\|chargen\|time\|timestamp>\s+The protocol to serve: echo \(RFC 862")]
    [InlineData("serve", @"^  --tcp <HOST:PORT>\s+Serve on a TCP address")]
    [InlineData("serve", @"^  --udp <HOST:PORT>\s+Serve on a UDP address")]
    [InlineData("serve", @"^  --unix <PATH>\s+Serve on a Unix-domain stream socket")]
    [InlineData("serve", @"^  --unix-dgram <PATH>\s+Serve on a Unix-domain datagram socket")]
    [InlineData("serve", @"^  --mode <sync\|threading\|forking\|async>\s+.*\[default: sync\]$")]
    [InlineData("serve", @"^  --tls-cert <FILE>\s+Serve the stream listeners")]
    [InlineData("serve", @"^  --drain-timeout <SECONDS>\s+.*\[default: 30\]$")]
    [InlineData("serve", @"^  --max-connections <N>\s+The most connections")]
    [InlineData("send", @"^  socketserver send <address> \[<line>\.\.\.\] \[options\]$")]
    [InlineData("send", @"^  <tcp://HOST:PORT\|udp://HOST:PORT\|unix:PATH\|unix-dgram:PATH>\s+The server: ")]
    [InlineData("send", @"^  <LINE>\s+Lines to send, each with a newline\.")]
    [InlineData("send", @"^  --tls\s+Speak TLS over the TCP or Unix stream connection")]
    [InlineData("send", @"^  --tls-ca <FILE>\s+Trust the CA certificates in this PEM file")]
    [InlineData("send", @"^  --tls-insecure\s+Accept any server certificate")]
    [InlineData("send", @"^  --wait <SECONDS>\s+How long to wait for replies.*\[default: 5\]$")]
    [InlineData("send", @"^  --connection-per-line\s+Send each line on a new connection")]
    [InlineData("bench", @"^  socketserver bench <mode> \[options\]$")]
    [InlineData("bench", @"^  --target <URI> \(REQUIRED\)\s+The echo server")]
    [InlineData("bench", @"^  -c, --connections <N>\s+")]
    [InlineData("bench", @"^  -d, --duration <SECONDS>\s+.*\[default: 10\]$")]
    [InlineData("bench", @"^  --report <FILE\.html>\s+")]
    public void HelpHasTheLine(string command, string pattern)
    {
        ToolRun run = CliProcess.Run([.. Words(command), "--help"]);

        Assert.True(Lines(run.Stdout).Any(l => Regex.IsMatch(l, pattern)), $"No line matches {pattern} in:\n{run.Stdout}");
    }

    [Fact]
    public void EveryOptionThatTakesAValueShowsAPlaceholderForIt()
    {
        foreach ((Command command, string path) in Walk(CliCommand.Create(), CliCommand.ToolName))
        {
            string help = string.Join('\n', Lines(CliProcess.Run([.. path.Split(' ').Skip(1), "--help"]).Stdout));
            foreach (Option option in command.Options.Where(static o => o.ValueType != typeof(bool) && o.ValueType != typeof(void)))
            {
                Assert.False(string.IsNullOrEmpty(option.HelpName), $"{path} {option.Name} has no HelpName: its help would show <{option.Name.TrimStart('-')}>.");
                Assert.Contains($"{option.Name} <{option.HelpName}>", help, StringComparison.Ordinal);
            }
        }
    }

    [Theory]
    // As dotnet-suggest calls it: the command line without the executable's name, and the cursor's position in it.
    [InlineData("serve ec", "echo")]
    [InlineData("serve d", "daytime", "discard")]
    [InlineData("serve echo --mode a", "async")]
    [InlineData("bench pi", "pingpong", "pipeline")]
    [InlineData("se", "send", "serve")]
    [InlineData("send tcp://127.0.0.1:9 --tls-", "--tls-ca", "--tls-insecure")]
    public void TheSuggestDirectiveCompletesTheWordAtTheCursor(string commandLine, params string[] expected)
    {
        ToolRun run = CliProcess.Run($"[suggest:{commandLine.Length}]", commandLine);

        Assert.Equal((0, ""), (run.ExitCode, run.Stderr));
        // Completions that start with the word come first; System.CommandLine then lists those that merely contain it.
        Assert.Equal(expected, Lines(run.Stdout).Take(expected.Length));
    }

    [Fact]
    public void TheSuggestDirectiveTakesTheCommandLineWithTheToolsName()
    {
        ToolRun run = CliProcess.Run("[suggest:21]", "socketserver serve ec");

        Assert.Equal("echo", Lines(run.Stdout).First());
    }

    private static string[] Words(string command) => command.Length == 0 ? [] : command.Split(' ');

    private static string[] Lines(string text) => text.ReplaceLineEndings("\n").Split('\n');

    private static IEnumerable<(Command Command, string Path)> Walk(Command command, string path)
    {
        yield return (command, path);
        foreach (Command subcommand in command.Subcommands)
        {
            foreach ((Command, string) inner in Walk(subcommand, $"{path} {subcommand.Name}"))
            {
                yield return inner;
            }
        }
    }
}
