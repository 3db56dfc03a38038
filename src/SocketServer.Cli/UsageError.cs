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
    public static void Write(ParseResult parseResult, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        ArgumentNullException.ThrowIfNull(error);
        error.WriteLine($"socketserver: {Describe(parseResult).ReplaceLineEndings(" ")}");
        error.WriteLine($"Run '{CommandPath(parseResult.CommandResult)} --help' for usage.");
        error.Flush();
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
            if (result is CommandResult { Command.Name: var name })
            {
                names.Add(name);
            }
        }

        names.Reverse();
        return string.Join(' ', names);
    }
}
