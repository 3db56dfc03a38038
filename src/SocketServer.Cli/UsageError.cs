using System.CommandLine;
using System.CommandLine.Parsing;

namespace SocketServer.Cli;

/// <summary>
/// Reports a command line that was not understood as <c>git</c> and <c>dotnet</c> do: one line naming the problem, then
/// one line pointing to the command's help, both on standard error. Nothing goes to standard output.
/// </summary>
internal static class UsageError
{
    /// <summary>Writes the report for <paramref name="parseResult"/>, which has errors.</summary>
    /// <param name="parseResult">The parse that failed.</param>
    /// <param name="error">Standard error.</param>
    /// <param name="problem">The problem, when the caller found it (see <see cref="SwitchGivenAValue"/>); by default the parse's first.</param>
    public static void Write(ParseResult parseResult, TextWriter error, string? problem = null)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        ArgumentNullException.ThrowIfNull(error);
        error.WriteLine($"socketserver: {(problem ?? Describe(parseResult)).ReplaceLineEndings(" ")}");
        error.WriteLine($"Run '{CommandPath(parseResult.CommandResult)} --help' for usage.");
        error.Flush();
    }

    /// <summary>
    /// A switch written with a value, <c>--tls=yes</c>: System.CommandLine splits it into the switch and a word, which a
    /// command that takes any number of words (<c>send</c>'s lines) would silently take as one of them. <c>true</c> and
    /// <c>false</c> are a switch's values and pass. Words after <c>--</c> are not options.
    /// </summary>
    /// <param name="parseResult">The parse of <paramref name="args"/>.</param>
    /// <param name="args">The command line as given.</param>
    /// <returns>The problem, or null.</returns>
    public static string? SwitchGivenAValue(ParseResult parseResult, IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        ArgumentNullException.ThrowIfNull(args);
        foreach (string arg in args)
        {
            if (arg == "--")
            {
                break;
            }

            int at = arg.StartsWith("--", StringComparison.Ordinal) ? arg.IndexOfAny(['=', ':']) : -1;
            if (at > 2
                && FindOption(parseResult.CommandResult, arg[..at]) is { ValueType: var type } && type == typeof(bool)
                && !bool.TryParse(arg[(at + 1)..], out _))
            {
                return $"{arg[..at]} takes no value, so '{arg[(at + 1)..]}' is not understood";
            }
        }

        return null;
    }

    /// <summary>
    /// A word that looks like an option but is none, on a command that takes any number of words (<c>send</c>'s lines):
    /// System.CommandLine would take it as one of them, so a mistyped option would be sent. A word that is the value of
    /// the option before it (<c>--wait -1</c>) is left to that option; words after <c>--</c> are not options.
    /// </summary>
    /// <param name="parseResult">The parse of <paramref name="args"/>.</param>
    /// <param name="args">The command line as given.</param>
    /// <returns>The problem, or null.</returns>
    public static string? UnknownOptionTakenAsWord(ParseResult parseResult, IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        ArgumentNullException.ThrowIfNull(args);
        CommandResult command = parseResult.CommandResult;
        if (!command.Command.Arguments.Any(static a => a.Arity.MaximumNumberOfValues > 1))
        {
            return null;
        }

        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (arg == "--")
            {
                break;
            }

            int at = arg.IndexOfAny(['=', ':']);
            bool isOption = arg.Length > 1 && arg[0] == '-' && FindOption(command, at > 0 ? arg[..at] : arg) is not null;
            bool valueOfPrevious = i > 0 && FindOption(command, args[i - 1]) is { } previous
                && previous.ValueType != typeof(bool) && previous.Arity.MaximumNumberOfValues > 0;
            if (arg.Length > 1 && arg[0] == '-' && !isOption && !valueOfPrevious)
            {
                return $"unknown option '{arg}' (a line that starts with '-' goes after '--')";
            }
        }

        return null;
    }

    /// <summary>The one problem to report: a word that was not understood first (it often explains the others).</summary>
    private static string Describe(ParseResult parseResult)
    {
        if (parseResult.UnmatchedTokens.Count > 0)
        {
            return Unmatched(parseResult, parseResult.UnmatchedTokens[0]);
        }

        if (parseResult.Errors.Count == 0)
        {
            return "the command line was not understood";
        }

        ParseError first = parseResult.Errors[0];
        // System.CommandLine says "Required argument missing for command: 'serve'"; say which argument, and its values.
        return first.SymbolResult is ArgumentResult { Tokens.Count: 0, Argument: var argument, Parent: CommandResult command }
            ? $"{command.Command.Name} needs <{argument.Name}>: {argument.HelpName ?? argument.Name}"
            : first.Message;
    }

    private static string Unmatched(ParseResult parseResult, string word)
    {
        // A switch given a value ("--json=yes", "--json yes"): the value is left over, right after the switch.
        IReadOnlyList<Token> tokens = parseResult.Tokens;
        for (int i = 1; i < tokens.Count; i++)
        {
            if (tokens[i].Value == word && tokens[i].Type == TokenType.Argument && tokens[i - 1].Type == TokenType.Option
                && FindOption(parseResult.CommandResult, tokens[i - 1].Value) is { } option && option.ValueType == typeof(bool))
            {
                return $"{tokens[i - 1].Value} takes no value, so '{word}' is not understood";
            }
        }

        return word.StartsWith('-') ? $"unknown option '{word}'" : $"unexpected argument '{word}'";
    }

    private static Option? FindOption(CommandResult command, string alias)
    {
        for (SymbolResult? result = command; result is not null; result = result.Parent)
        {
            if (result is CommandResult { Command: var owner }
                && owner.Options.FirstOrDefault(o => o.Name == alias || o.Aliases.Contains(alias)) is { } option)
            {
                return option;
            }
        }

        return null;
    }

    private static string CommandPath(CommandResult command)
    {
        List<string> names = [];
        for (SymbolResult? result = command; result is not null; result = result.Parent)
        {
            if (result is CommandResult { Command: var owner })
            {
                // The root is named after the executable (SocketServer.Cli under dotnet); users type socketserver.
                names.Add(owner is RootCommand ? CliCommand.ToolName : owner.Name);
            }
        }

        names.Reverse();
        return string.Join(' ', names);
    }
}
