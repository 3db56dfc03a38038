namespace SocketServer.Cli.Tests.Infrastructure;

/// <summary>
/// The bad, out-of-range and empty values of one option or argument. A kind that cannot apply is null, and
/// <see cref="NotApplicable"/> says why (a switch has no range; a choice has no range).
/// </summary>
/// <param name="Bad">A value of the wrong form.</param>
/// <param name="OutOfRange">A value of the right form outside what the option accepts.</param>
/// <param name="Empty">The empty string.</param>
/// <param name="NotApplicable">Why the null kinds do not apply.</param>
internal sealed record SymbolCases(ValueCase? Bad, ValueCase? OutOfRange, ValueCase? Empty, string? NotApplicable = null)
{
    public ValueCase? For(string kind) => kind switch
    {
        "bad" => Bad,
        "out-of-range" => OutOfRange,
        "empty" => Empty,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "bad, out-of-range or empty"),
    };
}
