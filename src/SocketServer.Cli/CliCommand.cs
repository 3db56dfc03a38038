using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using SocketServer.Cli.Bench;
using SocketServer.Cli.Send;

namespace SocketServer.Cli;

/// <summary>The <c>socketserver</c> command tree, and how a command line is run through it.</summary>
internal static class CliCommand
{
    /// <summary>The name users type: the tool's command and the published executable's name.</summary>
    public const string ToolName = "socketserver";

    /// <summary>Builds the root command with every subcommand; the tests walk it to check every option.</summary>
    /// <returns>The root command.</returns>
    public static RootCommand Create()
    {
        // A RootCommand, not a plain Command: only a root command carries directives, and [suggest] is what dotnet-suggest
        // calls for tab completion. It brings --help (recursive: every command has it) and --version.
        RootCommand root = new("Serve simple protocols with the SocketServer library, send lines to servers, and load echo servers.")
        {
            ServeCommand.Create(),
            SendCommand.Create(),
            BenchCommand.Create(),
        };

        // --version on every command, as --help is: 'socketserver serve --version' answers rather than taking
        // '--version' for the protocol.
        foreach (Option option in root.Options)
        {
            if (option is VersionOption)
            {
                option.Recursive = true;
            }
        }

        // The root is named after the executable, which is SocketServer.Cli when run as 'dotnet SocketServer.Cli.dll' or
        // as the .NET tool; the command line dotnet-suggest hands over starts with 'socketserver', the name typed.
        if (root.Name != ToolName)
        {
            root.Aliases.Add(ToolName);
        }

        return root;
    }

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

        if (parseResult.Action is HelpAction)
        {
            return WriteHelp(parseResult);
        }

        return parseResult.Invoke();
    }

    /// <summary>
    /// Writes the help with the command named as users type it: System.CommandLine's usage line names the root command,
    /// which is named after the executable (SocketServer.Cli under 'dotnet' and as a .NET tool).
    /// </summary>
    private static int WriteHelp(ParseResult parseResult)
    {
        using StringWriter help = new();
        int exitCode = parseResult.Invoke(new InvocationConfiguration { Output = help });
        string rootName = parseResult.RootCommandResult.Command.Name;
        string[] lines = help.ToString().Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            // The usage lines: "  SocketServer.Cli serve <protocol> [options]".
            if (lines[i].StartsWith($"  {rootName} ", StringComparison.Ordinal) || lines[i].TrimEnd('\r') == $"  {rootName}")
            {
                lines[i] = $"  {ToolName}" + lines[i][(2 + rootName.Length)..];
            }
        }

        Console.Out.Write(string.Join('\n', lines));
        Console.Out.Flush();
        return exitCode;
    }
}
