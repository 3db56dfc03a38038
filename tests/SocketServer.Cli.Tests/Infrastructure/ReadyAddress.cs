using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace SocketServer.Cli.Tests.Infrastructure;

/// <summary>An address parsed from a ready line such as <c>listening on tcp://127.0.0.1:43123</c>.</summary>
internal sealed partial record ReadyAddress(string Scheme, string Host, int Port, string Path)
{
    public const string Prefix = "listening on ";

    /// <summary>The address as an endpoint the tests can connect to.</summary>
    public EndPoint EndPoint => Scheme is "tcp" or "udp" or "tls"
        ? new IPEndPoint(IPAddress.Parse(Host), Port)
        : new UnixDomainSocketEndPoint(Path.StartsWith('@') ? "\0" + Path[1..] : Path);

    /// <summary>The URI, as printed.</summary>
    public string Uri => Scheme is "tcp" or "udp" or "tls"
        ? $"{Scheme}://{(Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host)}:{Port}"
        : $"{Scheme}:{Path}";

    public static ReadyAddress Parse(string line)
    {
        Match ip = IpLine().Match(line);
        if (ip.Success)
        {
            string host = ip.Groups["host"].Value.Trim('[', ']');
            return new ReadyAddress(ip.Groups["scheme"].Value, host, int.Parse(ip.Groups["port"].Value, CultureInfo.InvariantCulture), "");
        }

        Match unix = UnixLine().Match(line);
        Assert.True(unix.Success, $"Not a ready line: '{line}'");
        return new ReadyAddress(unix.Groups["scheme"].Value, "", 0, unix.Groups["path"].Value);
    }

    [GeneratedRegex(@"^listening on (?<scheme>tcp|udp|tls)://(?<host>\d+\.\d+\.\d+\.\d+|\[[0-9a-fA-F:.%]+\]):(?<port>\d+)$")]
    private static partial Regex IpLine();

    [GeneratedRegex(@"^listening on (?<scheme>unix|unix-dgram|unix\+tls):(?<path>.+)$")]
    private static partial Regex UnixLine();
}
