using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using SocketServer.Cli.Bench;
using SocketServer.Cli.Send;

namespace SocketServer.Cli;

/// <summary>The <c>socketserver</c> command tree, and how a command line is run through it.</summary>
internal static class CliCommand
{
    /// <summary>Builds the root command with every subcommand; the tests walk it to check every option.</summary>
    /// <returns>The root command.</returns>
    public static Command Create() =>
        // Named here, not after the executable: the assembly is SocketServer.Cli, the command users type is socketserver.
        new("socketserver", "Serve simple protocols with the SocketServer library, send lines to servers, and load echo servers.")
        {
            new HelpOption(),
            new VersionOption(),
            ServeCommand.Create(),
            SendCommand.Create(),
            BenchCommand.Create(),
        };

    /// <summary>Parses <paramref name="args"/> against <see cref="Create"/>.</summary>
    /// <param name="args">The command line.</param>
    /// <returns>The parse result.</returns>
    public static ParseResult Parse(string[] args) =>
        // No response files: "@name" is an abstract Unix socket (--unix @name), not a file of arguments.
        Create().Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });

    /// <summary>Runs the command line; a usage error is reported in two lines on standard error.</summary>
    /// <param name="args">The command line.</param>
    /// <returns>One of <see cref="ExitCodes"/>.</returns>
    public static int Run(string[] args)
    {
        ParseResult parseResult = Parse(args);
        string? problem = UsageError.SwitchGivenAValue(parseResult, args) ?? UsageError.UnknownOptionTakenAsWord(parseResult, args);
        if (parseResult.Action is ParseErrorAction || problem is not null)
        {
            UsageError.Write(parseResult, Console.Error, problem);
            return ExitCodes.Usage;
        }

        return parseResult.Invoke();
    }
}
