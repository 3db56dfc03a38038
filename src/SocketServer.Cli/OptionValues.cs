using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Numerics;

namespace SocketServer.Cli;

/// <summary>
/// Parsers and validators for option and argument values. A value that does not fit becomes one parse error,
/// <c>--name: 'value' is not WHAT (RANGE)</c>, in <see cref="ParseResult.Errors"/>: never an exception when the value is
/// read, and never System.CommandLine's multi-line "must be one of" list.
/// </summary>
internal static class OptionValues
{
    /// <summary>Makes <paramref name="option"/> accept a number from <paramref name="min"/> to <paramref name="max"/>.</summary>
    /// <typeparam name="T">The number type.</typeparam>
    /// <param name="option">The option.</param>
    /// <param name="min">The smallest value accepted.</param>
    /// <param name="max">The largest value accepted.</param>
    /// <param name="accepts">What the option accepts, for the error: for example <c>a number of seconds (0 to 86400)</c>.</param>
    /// <param name="minExclusive">Whether <paramref name="min"/> itself is refused (more than 0, not 0).</param>
    /// <returns>The option.</returns>
    public static Option<T> Number<T>(Option<T> option, T min, T max, string accepts, bool minExclusive = false)
        where T : struct, INumber<T>
    {
        option.CustomParser = result => TryParse(result, min, max, accepts, minExclusive, out T value) ? value : default;
        option.HelpName ??= "N";
        return option;
    }

    /// <summary>As <see cref="Number{T}(Option{T}, T, T, string, bool)"/> for an option whose absence means "not given".</summary>
    /// <typeparam name="T">The number type.</typeparam>
    /// <param name="option">The option.</param>
    /// <param name="min">The smallest value accepted.</param>
    /// <param name="max">The largest value accepted.</param>
    /// <param name="accepts">What the option accepts, for the error.</param>
    /// <returns>The option.</returns>
    public static Option<T?> OptionalNumber<T>(Option<T?> option, T min, T max, string accepts)
        where T : struct, INumber<T>
    {
        option.CustomParser = result => TryParse(result, min, max, accepts, minExclusive: false, out T value) ? value : null;
        option.HelpName ??= "N";
        return option;
    }

    /// <summary>Makes <paramref name="option"/> accept one of <paramref name="choices"/> and nothing else.</summary>
    /// <param name="option">The option.</param>
    /// <param name="choices">The values accepted, in the order the help and the error list them.</param>
    /// <returns>The option.</returns>
    public static Option<string> OneOf(Option<string> option, params string[] choices)
    {
        option.HelpName ??= string.Join('|', choices);
        option.CompletionSources.Add(choices);
        option.Validators.Add(result => CheckChoice(result.Tokens, Name(result), choices, result.AddError));
        return option;
    }

    /// <summary>Makes <paramref name="argument"/> accept one of <paramref name="choices"/> and nothing else.</summary>
    /// <param name="argument">The argument.</param>
    /// <param name="choices">The values accepted, in the order the help and the error list them.</param>
    /// <returns>The argument.</returns>
    public static Argument<string> OneOf(Argument<string> argument, params string[] choices)
    {
        argument.HelpName ??= string.Join('|', choices);
        argument.CompletionSources.Add(choices);
        argument.Validators.Add(result => CheckChoice(result.Tokens, $"<{argument.Name}>", choices, result.AddError));
        return argument;
    }

    /// <summary>Makes <paramref name="option"/> refuse an empty value: it names a file.</summary>
    /// <param name="option">The option.</param>
    /// <returns>The option.</returns>
    public static Option<string> FileName(Option<string> option)
    {
        option.HelpName ??= "FILE";
        option.Validators.Add(result =>
        {
            if (result.Tokens is [{ Value.Length: 0 }])
            {
                result.AddError($"{Name(result)}: '' is not a file name");
            }
        });
        return option;
    }

    /// <summary>
    /// Makes <paramref name="option"/> accept trusted PROXY protocol sources: networks in CIDR form, single addresses, or
    /// <c>unix</c> (the peers of the Unix stream listeners).
    /// </summary>
    /// <param name="option">The option.</param>
    /// <returns>The option.</returns>
    public static Option<string[]> ProxySources(Option<string[]> option)
    {
        option.HelpName ??= "CIDR|unix";
        option.Validators.Add(result =>
        {
            foreach (Token token in result.Tokens)
            {
                if (!TryParseProxySource(token.Value, out System.Net.IPNetwork? network))
                {
                    result.AddError($"{Name(result)}: '{token.Value}' is not a network (CIDR such as 10.0.0.0/8 or ::1/128, an address, or unix)");
                    return;
                }

                // .NET masks the bits after the prefix away: "10.0.0.1/8" (one proxy meant) would trust all of
                // 10.0.0.0/8 without a word. Trust is never widened silently (the hosting binder refuses it too).
                int slash = token.Value.IndexOf('/', StringComparison.Ordinal);
                if (network is { } parsed && slash > 0 && System.Net.IPAddress.TryParse(token.Value[..slash], out System.Net.IPAddress? address) && !address.Equals(parsed.BaseAddress))
                {
                    int prefix = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128;
                    result.AddError($"{Name(result)}: '{token.Value}' has bits set after the prefix, so it would trust all of {parsed}; write {parsed}, or {address}/{prefix} for the one address");
                    return;
                }
            }
        });
        return option;
    }

    /// <summary>Reads one <c>--proxy-trust</c> value: a network (an address alone is a one-address network), or null for <c>unix</c>.</summary>
    /// <param name="text">The value.</param>
    /// <param name="network">The network; null for <c>unix</c>.</param>
    /// <returns>Whether the value is one.</returns>
    public static bool TryParseProxySource(string text, out System.Net.IPNetwork? network)
    {
        network = null;
        if (text == "unix")
        {
            return true;
        }

        if (System.Net.IPNetwork.TryParse(text, out System.Net.IPNetwork parsed))
        {
            network = parsed;
            return true;
        }

        if (!text.Contains('/', StringComparison.Ordinal) && System.Net.IPAddress.TryParse(text, out System.Net.IPAddress? address) && text.Contains(address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? '.' : ':', StringComparison.Ordinal))
        {
            network = new System.Net.IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
            return true;
        }

        return false;
    }

    private static bool TryParse<T>(ArgumentResult result, T min, T max, string accepts, bool minExclusive, out T value)
        where T : struct, INumber<T>
    {
        value = default;
        if (result.Tokens.Count != 1)
        {
            // None or several: System.CommandLine reports that itself, in one line.
            return false;
        }

        string text = result.Tokens[0].Value;
        // Seconds may have fractions and exponents (0.5, 1e3); counts are whole numbers.
        NumberStyles styles = typeof(T) == typeof(double) ? NumberStyles.Float : NumberStyles.Integer;
        bool parsed = T.TryParse(text, styles, CultureInfo.InvariantCulture, out value);
        // Written as "not inside" so that NaN, which compares false with everything, is refused too.
        bool inRange = parsed && (minExclusive ? value > min : value >= min) && value <= max;
        if (!inRange)
        {
            string name = result.Parent is OptionResult option ? Name(option) : $"<{result.Argument.Name}>";
            result.AddError($"{name}: '{text}' is not {accepts}");
            value = default;
        }

        return inRange;
    }

    private static void CheckChoice(IReadOnlyList<Token> tokens, string name, string[] choices, Action<string> addError)
    {
        foreach (Token token in tokens)
        {
            if (Array.IndexOf(choices, token.Value) < 0)
            {
                addError($"{name}: '{token.Value}' is not one of {string.Join(", ", choices)}");
                return;
            }
        }
    }

    // The name as typed (-c or --connections), so the error points at what the user wrote.
    private static string Name(OptionResult result) => result.IdentifierToken?.Value ?? result.Option.Name;
}
