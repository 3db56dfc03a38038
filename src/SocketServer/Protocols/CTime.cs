using System.Globalization;

namespace SocketServer.Protocols;

/// <summary>Formats times as Python's <c>time.ctime()</c> does, for example <c>Wed Nov  5 09:03:07 2026</c>.</summary>
public static class CTime
{
    /// <summary>Formats the current local time.</summary>
    /// <returns>The time in <c>ctime</c> form.</returns>
    public static string Now() => Format(DateTime.Now);

    /// <summary>Formats <paramref name="time"/>: weekday, month, space-padded day, 24-hour time and year.</summary>
    /// <param name="time">The time to format, as it is (no time-zone conversion).</param>
    /// <returns>The time in <c>ctime</c> form.</returns>
    public static string Format(DateTime time) =>
        string.Create(CultureInfo.InvariantCulture, $"{time:ddd MMM} {time.Day,2} {time:HH:mm:ss yyyy}");
}
