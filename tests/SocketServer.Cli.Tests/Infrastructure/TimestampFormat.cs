namespace SocketServer.Cli.Tests.Infrastructure;

/// <summary>The timestamp protocol's reply to <c>hello</c>: <c>[ctime] hello</c>.</summary>
internal static class TimestampFormat
{
    public const string Reply = @"^\[\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\] hello";
}
