using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace SocketServer.Cli.Tests.Infrastructure;

/// <summary>
/// What the classic services must send, read from their RFCs here independently of the library: the chargen ring
/// (RFC 864), the daytime line (RFC 867, in the ctime format docs/cli.md names) and the time count (RFC 868).
/// </summary>
internal static partial class ClassicExpectations
{
    /// <summary>Seconds from 1900-01-01 to 1970-01-01.</summary>
    private const long SecondsFrom1900To1970 = 2_208_988_800;

    /// <summary>The printable ASCII characters in order: the chargen ring.</summary>
    private const string Ring = " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";

    /// <summary>The first <paramref name="length"/> bytes of a chargen stream: line n is the ring from character n, 72 long, then CR LF.</summary>
    public static byte[] Chargen(int length)
    {
        var text = new StringBuilder(length + 80);
        for (int line = 0; text.Length < length; line++)
        {
            for (int i = 0; i < 72; i++)
            {
                text.Append(Ring[(line + i) % Ring.Length]);
            }

            text.Append("\r\n");
        }

        return Encoding.ASCII.GetBytes(text.ToString(0, length));
    }

    /// <summary>Asserts a daytime reply: one ctime line with CR LF, between <paramref name="before"/> and <paramref name="after"/> (local time).</summary>
    public static void AssertDaytime(string reply, DateTime before, DateTime after)
    {
        Match match = DaytimeLine().Match(reply);
        Assert.True(match.Success, $"not a daytime line: '{reply}'");
        // ctime pads the day with a space; ParseExact checks that the weekday is the date's.
        DateTime time = DateTime.ParseExact(match.Groups["time"].Value.Replace("  ", " ", StringComparison.Ordinal), "ddd MMM d HH:mm:ss yyyy", CultureInfo.InvariantCulture);
        Assert.InRange(time, Truncate(before), after);
    }

    /// <summary>Asserts a time reply: 4 bytes, big-endian seconds since 1900, between <paramref name="before"/> and <paramref name="after"/>.</summary>
    public static void AssertTime(byte[] reply, DateTimeOffset before, DateTimeOffset after)
    {
        Assert.Equal(4, reply.Length);
        AssertTime(BinaryPrimitives.ReadUInt32BigEndian(reply), before, after);
    }

    /// <summary>Asserts a time count (seconds since 1900) between two instants; valid until the count wraps in 2036.</summary>
    public static void AssertTime(uint seconds, DateTimeOffset before, DateTimeOffset after)
    {
        DateTimeOffset time = DateTimeOffset.FromUnixTimeSeconds(seconds - SecondsFrom1900To1970);
        Assert.InRange(time, DateTimeOffset.FromUnixTimeSeconds(before.ToUnixTimeSeconds()), after);
    }

    private static DateTime Truncate(DateTime time) => new(time.Ticks - (time.Ticks % TimeSpan.TicksPerSecond), time.Kind);

    [GeneratedRegex(@"^(?<time>(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ 123]\d \d\d:\d\d:\d\d \d{4})\r\n$")]
    private static partial Regex DaytimeLine();
}
