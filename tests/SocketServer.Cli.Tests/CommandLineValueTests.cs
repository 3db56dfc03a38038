using System.CommandLine;
using System.Text.RegularExpressions;
using SocketServer.Cli.Tests.Infrastructure;

namespace SocketServer.Cli.Tests;

/// <summary>
/// Every option and argument of every command, found by walking the real command tree, given a bad value, an
/// out-of-range value and an empty one: the CLI, run as a process, answers with one line naming the option and what it
/// accepts (and, for a usage error, one line pointing to the help), nothing on standard output, and the documented
/// exit code. An option added without a line in <see cref="s_table"/> fails <see cref="EveryOptionHasItsBadValues"/>.
/// </summary>
public sealed class CommandLineValueTests
{
    private static readonly string[] s_kinds = ["bad", "out-of-range", "empty"];

    // Each keeps the rest of the command line valid, so that only the value under test can be refused. A serve that
    // wrongly accepted one would bind a free port and run until the bounded wait fails the test.
    private static readonly string[] s_serve = ["serve", "echo", "--tcp", "127.0.0.1:0"];
    private static readonly string[] s_bench = ["bench", "pingpong", "--target", "tcp://127.0.0.1:9"];
    private static readonly string[] s_send = ["send", "tcp://127.0.0.1:9", "a line"];

    private static readonly Dictionary<string, SymbolCases> s_table = new(StringComparer.Ordinal)
    {
        ["socketserver --help"] = Switch("ends the command at once, whatever follows (as git and dotnet do)"),
        ["socketserver --version"] = Switch("ends the command at once, whatever follows (as git and dotnet do)"),

        ["socketserver serve <protocol>"] = Choice(["serve", "{value}", "--tcp", "127.0.0.1:0"], "serve", "<protocol>", "bogus", "echo, discard, daytime, chargen, time, timestamp"),
        ["socketserver serve --tcp"] = Address("--tcp"),
        ["socketserver serve --udp"] = Address("--udp"),
        ["socketserver serve --unix"] = UnixPath("--unix", "unix"),
        ["socketserver serve --unix-dgram"] = UnixPath("--unix-dgram", "unix-dgram"),
        ["socketserver serve --mode"] = Choice([.. s_serve, "--mode", "{value}"], "serve", "--mode", "preforked", "sync, threading, forking, async"),
        ["socketserver serve --handler"] = Choice([.. s_serve, "--handler", "{value}"], "serve", "--handler", "rfile", "stream, raw"),
        ["socketserver serve --transport"] = Choice([.. s_serve, "--mode", "async", "--transport", "{value}"], "serve", "--transport", "uring", "epoll, io_uring"),
        ["socketserver serve --tls-cert"] = new(
            Bad: new([.. s_serve, "--tls-cert", "{dir}/missing.crt"], ExitCodes.Address, "socketserver: Cannot read the TLS certificate file {dir}/missing.crt: no such file.\n"),
            OutOfRange: null,
            Empty: UsageCase([.. s_serve, "--tls-cert", ""], "serve", "--tls-cert: '' is not a file name"),
            NotApplicable: "a file name has no range"),
        ["socketserver serve --tls-key"] = new(
            Bad: new([.. s_serve, "--tls-cert", "{cert}", "--tls-key", "{cert}"], ExitCodes.Address, "socketserver: The TLS private key file {cert} holds no PEM private key (no '-----BEGIN ... PRIVATE KEY-----' line).\n"),
            OutOfRange: null,
            Empty: UsageCase([.. s_serve, "--tls-cert", "{cert}", "--tls-key", ""], "serve", "--tls-key: '' is not a file name"),
            NotApplicable: "a file name has no range"),
        ["socketserver serve --tls-password"] = new(
            Bad: WrongPassword("wrong"),
            OutOfRange: null,
            // An empty password is a password (PKCS#12 files may have one): it is simply the wrong one here.
            Empty: WrongPassword(""),
            NotApplicable: "a password has no range"),
        ["socketserver serve --tls-client-ca"] = new(
            Bad: new([.. s_serve, "--tls-cert", "{cert}", "--tls-key", "{key}", "--tls-client-ca", "{key}"], ExitCodes.Address, "socketserver: The TLS CA file {key} holds no PEM certificate (no '-----BEGIN CERTIFICATE-----' line).\n"),
            OutOfRange: null,
            Empty: UsageCase([.. s_serve, "--tls-cert", "{cert}", "--tls-key", "{key}", "--tls-client-ca", ""], "serve", "--tls-client-ca: '' is not a file name"),
            NotApplicable: "a file name has no range"),
        ["socketserver serve --drain-timeout"] = Number(s_serve, "serve", "--drain-timeout", "86401", "a number of seconds (0 to 86400)"),
        ["socketserver serve --max-connections"] = Number(s_serve, "serve", "--max-connections", "-1", "a whole number (0 for no limit, or more)"),
        ["socketserver serve --max-idle-threads"] = Number([.. s_serve, "--mode", "threading"], "serve", "--max-idle-threads", "-1", "a whole number (0 or more)"),

        ["socketserver serve --proxy-protocol"] = new(
            Bad: UsageCase([.. s_serve, "--proxy-protocol=yes"], "serve", "--proxy-protocol takes no value, so 'yes' is not understood"),
            OutOfRange: null,
            Empty: UsageCase([.. s_serve, "--proxy-protocol", ""], "serve", "--proxy-protocol takes no value, so '' is not understood"),
            NotApplicable: "a switch has no range"),
        ["socketserver serve --proxy-trust"] = new(
            Bad: UsageCase([.. s_serve, "--proxy-protocol", "--proxy-trust", "haproxy"], "serve", "--proxy-trust: 'haproxy' is not a network (CIDR such as 10.0.0.0/8 or ::1/128, an address, or unix)"),
            OutOfRange: UsageCase([.. s_serve, "--proxy-protocol", "--proxy-trust", "10.0.0.0/33"], "serve", "--proxy-trust: '10.0.0.0/33' is not a network (CIDR such as 10.0.0.0/8 or ::1/128, an address, or unix)"),
            Empty: UsageCase([.. s_serve, "--proxy-protocol", "--proxy-trust", ""], "serve", "--proxy-trust: '' is not a network (CIDR such as 10.0.0.0/8 or ::1/128, an address, or unix)")),
        ["socketserver serve --proxy-header-timeout"] = Number([.. s_serve, "--proxy-protocol"], "serve", "--proxy-header-timeout", "0", "a number of seconds (more than 0, up to 86400)"),

        ["socketserver serve --keep-stale-socket"] = new(
            Bad: UsageCase([.. s_serve, "--keep-stale-socket=yes"], "serve", "--keep-stale-socket takes no value, so 'yes' is not understood"),
            OutOfRange: null,
            Empty: UsageCase([.. s_serve, "--keep-stale-socket", ""], "serve", "--keep-stale-socket takes no value, so '' is not understood"),
            NotApplicable: "a switch has no range"),
        ["socketserver serve --reuse-port"] = new(
            Bad: UsageCase([.. s_serve, "--reuse-port=yes"], "serve", "--reuse-port takes no value, so 'yes' is not understood"),
            OutOfRange: null,
            Empty: UsageCase([.. s_serve, "--reuse-port", ""], "serve", "--reuse-port takes no value, so '' is not understood"),
            NotApplicable: "a switch has no range"),
        ["socketserver serve --systemd"] = new(
            Bad: UsageCase([.. s_serve, "--systemd=yes"], "serve", "--systemd takes no value, so 'yes' is not understood"),
            OutOfRange: null,
            Empty: UsageCase([.. s_serve, "--systemd", ""], "serve", "--systemd takes no value, so '' is not understood"),
            NotApplicable: "a switch has no range"),
        ["socketserver serve --agent-check"] = Address("--agent-check"),
        ["socketserver serve --drain-delay"] = Number(s_serve, "serve", "--drain-delay", "86401", "a number of seconds (0 to 86400)"),
        ["socketserver serve --log-level"] = Choice([.. s_serve, "--log-level", "{value}"], "serve", "--log-level", "verbose", "debug, information, warning, error"),

        ["socketserver send <address>"] = new(
            Bad: new(["send", "nonsense", "a line"], ExitCodes.Address, "socketserver: Invalid <address> value 'nonsense': expected tcp://HOST:PORT, udp://HOST:PORT, unix:PATH or unix-dgram:PATH (tls://HOST:PORT or unix+tls:PATH for TLS).\n"),
            OutOfRange: new(["send", "udp://127.0.0.1:65536", "a line"], ExitCodes.Address, "socketserver: Invalid <address> value '127.0.0.1:65536': '65536' is not a port number from 0 to 65535.\n"),
            Empty: new(["send", "", "a line"], ExitCodes.Address, "socketserver: Invalid <address> value '': expected tcp://HOST:PORT, udp://HOST:PORT, unix:PATH or unix-dgram:PATH (tls://HOST:PORT or unix+tls:PATH for TLS).\n")),
        ["socketserver send <line>"] = new(null, null, null, NotApplicable: "any text is a line to send, the empty one too"),
        ["socketserver send --tls"] = SendSwitch("--tls"),
        ["socketserver send --tls-ca"] = new(
            Bad: new([.. s_send, "--tls", "--tls-ca", "{dir}/missing.crt"], ExitCodes.Address, "socketserver: Cannot read the TLS CA file {dir}/missing.crt: no such file.\n"),
            OutOfRange: null,
            Empty: UsageCase([.. s_send, "--tls", "--tls-ca", ""], "send", "--tls-ca: '' is not a file name"),
            NotApplicable: "a file name has no range"),
        ["socketserver send --tls-insecure"] = SendSwitch("--tls-insecure"),
        ["socketserver send --wait"] = Number(s_send, "send", "--wait", "0", "a number of seconds (more than 0, up to 86400)"),
        ["socketserver send --connection-per-line"] = SendSwitch("--connection-per-line"),

        ["socketserver bench <mode>"] = Choice(["bench", "{value}", "--target", "tcp://127.0.0.1:9"], "bench", "<mode>", "turbo", "pingpong, pipeline, connrate, udp, idle"),
        ["socketserver bench --target"] = new(
            Bad: new(["bench", "pingpong", "--target", "nonsense"], ExitCodes.Address, "socketserver: Invalid --target value 'nonsense': expected tcp://HOST:PORT, udp://HOST:PORT or unix:PATH.\n"),
            OutOfRange: new(["bench", "pingpong", "--target", "tcp://127.0.0.1:65536"], ExitCodes.Address, "socketserver: Invalid --target value '127.0.0.1:65536': '65536' is not a port number from 0 to 65535.\n"),
            Empty: new(["bench", "pingpong", "--target", ""], ExitCodes.Address, "socketserver: Invalid --target value '': expected tcp://HOST:PORT, udp://HOST:PORT or unix:PATH.\n")),
        ["socketserver bench --connections"] = Number(s_bench, "bench", "--connections", "0", "a whole number (1 or more)"),
        ["socketserver bench --size"] = Number(s_bench, "bench", "--size", "16777217", "a number of bytes (1 to 16777216)"),
        ["socketserver bench --pipeline"] = Number(s_bench, "bench", "--pipeline", "0", "a whole number (1 or more)"),
        ["socketserver bench --duration"] = Number(s_bench, "bench", "--duration", "0", "a number of seconds (more than 0, up to 86400)"),
        ["socketserver bench --warmup"] = Number(s_bench, "bench", "--warmup", "-1", "a number of seconds (0 to 86400)"),
        ["socketserver bench --max-messages"] = Number(s_bench, "bench", "--max-messages", "0", "a whole number (1 or more)"),
        ["socketserver bench --engine"] = Choice([.. s_bench, "--engine", "{value}"], "bench", "--engine", "turbo", "reactor, sockets"),
        ["socketserver bench --report"] = new(
            Bad: new([.. s_bench, "--report", "{dir}/missing/report.html"], ExitCodes.Usage, "^socketserver: cannot write --report '.*/missing/report\\.html': .+\n$", StderrIsPattern: true),
            OutOfRange: null,
            Empty: UsageCase([.. s_bench, "--report", ""], "bench", "--report: '' is not a file name"),
            NotApplicable: "a file name has no range"),
        ["socketserver bench --json"] = new(
            Bad: UsageCase([.. s_bench, "--json=yes"], "bench", "--json takes no value, so 'yes' is not understood"),
            OutOfRange: null,
            Empty: UsageCase([.. s_bench, "--json", ""], "bench", "--json takes no value, so '' is not understood"),
            NotApplicable: "a switch has no range"),
    };

    /// <summary>Every option and argument in the command tree, as "socketserver serve --tcp".</summary>
    public static TheoryData<string> Symbols() => [.. Walk(CliCommand.Create(), "")];

    /// <summary>Every symbol crossed with every kind of value; a symbol missing from the table still yields its cases, which fail.</summary>
    public static TheoryData<string, string> Cases()
    {
        TheoryData<string, string> data = [];
        foreach (string symbol in Walk(CliCommand.Create(), ""))
        {
            foreach (string kind in s_kinds)
            {
                if (!s_table.TryGetValue(symbol, out SymbolCases? cases) || cases.For(kind) is not null)
                {
                    data.Add(symbol, kind);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Symbols))]
    public void EveryOptionHasItsBadValues(string symbol)
    {
        Assert.True(s_table.TryGetValue(symbol, out SymbolCases? cases), $"'{symbol}' has no bad, out-of-range and empty values in {nameof(s_table)}: add them.");
        bool anyMissing = cases.Bad is null || cases.OutOfRange is null || cases.Empty is null;
        Assert.True(!anyMissing || cases.NotApplicable is not null, $"'{symbol}' leaves a kind of value out without saying why.");
    }

    [Fact]
    public void TheTableNamesNoOptionThatIsGone()
    {
        HashSet<string> symbols = [.. Walk(CliCommand.Create(), "")];
        string[] gone = [.. s_table.Keys.Where(key => !symbols.Contains(key))];
        Assert.True(gone.Length == 0, $"{nameof(s_table)} names what the command tree no longer has: {string.Join(", ", gone)}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void AValueThatDoesNotFitGetsOneLineAndTheDocumentedExitCode(string symbol, string kind)
    {
        Assert.True(s_table.TryGetValue(symbol, out SymbolCases? cases), $"'{symbol}' has no {kind} value in {nameof(s_table)}.");
        ValueCase valueCase = cases.For(kind)!;
        using TlsFiles files = new();

        ToolRun run = CliProcess.Run([.. valueCase.Arguments.Select(a => files.Expand(a))]);

        string stderr = run.Stderr.ReplaceLineEndings("\n");
        if (valueCase.StderrIsPattern)
        {
            Assert.Matches(new Regex(files.Expand(valueCase.Stderr, Regex.Escape)), stderr);
        }
        else
        {
            Assert.Equal(files.Expand(valueCase.Stderr), stderr);
        }

        Assert.Equal("", run.Stdout);
        Assert.Equal(valueCase.ExitCode, run.ExitCode);
    }

    private static IEnumerable<string> Walk(Command command, string parent)
    {
        // The root command is named after the executable (the test host here); users type socketserver.
        string path = parent.Length == 0 ? CliCommand.ToolName : $"{parent} {command.Name}";
        foreach (Argument argument in command.Arguments)
        {
            yield return $"{path} <{argument.Name}>";
        }

        foreach (Option option in command.Options)
        {
            yield return $"{path} {option.Name}";
        }

        foreach (Command subcommand in command.Subcommands)
        {
            foreach (string symbol in Walk(subcommand, path))
            {
                yield return symbol;
            }
        }
    }

    private static ValueCase UsageCase(string[] arguments, string command, string line) =>
        new(arguments, ExitCodes.Usage, $"socketserver: {line}\nRun 'socketserver {command} --help' for usage.\n");

    private static SymbolCases Number(string[] prefix, string command, string option, string outOfRange, string accepts) => new(
        UsageCase([.. prefix, option, "abc"], command, $"{option}: 'abc' is not {accepts}"),
        UsageCase([.. prefix, option, outOfRange], command, $"{option}: '{outOfRange}' is not {accepts}"),
        UsageCase([.. prefix, option, ""], command, $"{option}: '' is not {accepts}"));

    private static SymbolCases Choice(string[] template, string command, string name, string bad, string choices)
    {
        string[] With(string value) => [.. template.Select(a => a == "{value}" ? value : a)];
        return new(
            UsageCase(With(bad), command, $"{name}: '{bad}' is not one of {choices}"),
            OutOfRange: null,
            UsageCase(With(""), command, $"{name}: '' is not one of {choices}"),
            NotApplicable: "a choice has no range");
    }

    private static SymbolCases Address(string option) => new(
        new(["serve", "echo", option, "nonsense"], ExitCodes.Address, $"socketserver: Invalid {option} value 'nonsense': expected HOST:PORT.\n"),
        new(["serve", "echo", option, "127.0.0.1:65536"], ExitCodes.Address, $"socketserver: Invalid {option} value '127.0.0.1:65536': '65536' is not a port number from 0 to 65535.\n"),
        new(["serve", "echo", option, ""], ExitCodes.Address, $"socketserver: Invalid {option} value '': expected HOST:PORT.\n"));

    private static SymbolCases UnixPath(string option, string scheme)
    {
        // sun_path holds 108 bytes on Linux: 200 is too long everywhere.
        string tooLong = "{dir}/" + new string('s', 200);
        return new(
            new(["serve", "echo", option, "{dir}/missing/s.sock"], ExitCodes.Address, $"socketserver: Cannot bind {scheme}:{{dir}}/missing/s.sock: the directory '{{dir}}/missing' does not exist.\n"),
            new(["serve", "echo", option, tooLong], ExitCodes.Address, $"socketserver: Invalid {option} value '{tooLong}': the path is too long for a Unix socket on this platform.\n"),
            new(["serve", "echo", option, ""], ExitCodes.Address, $"socketserver: Invalid {option} value '': the path is empty.\n"));
    }

    private static ValueCase WrongPassword(string password) => new(
        [.. s_serve, "--tls-cert", "{pfx}", "--tls-password", password],
        ExitCodes.Address,
        @"^socketserver: The TLS PKCS#12 file {pfx} cannot be read \(it is not a PKCS#12 file, or the password is wrong\): [^\n]+\n$",
        StderrIsPattern: true);

    private static SymbolCases Switch(string why) => new(null, null, null, why);

    // send takes any words after its address as lines, so a switch's value is caught in its written form, --tls=yes.
    private static SymbolCases SendSwitch(string option) => new(
        UsageCase([.. s_send, $"{option}=yes"], "send", $"{option} takes no value, so 'yes' is not understood"),
        OutOfRange: null,
        UsageCase([.. s_send, $"{option}="], "send", $"{option} takes no value, so '' is not understood"),
        NotApplicable: "a switch has no range");
}
