using System.CommandLine;
using System.Security.Cryptography.X509Certificates;
using SocketServer.Cli.Bench;
using SocketServer.Internal.Tls;

namespace SocketServer.Cli.Send;

/// <summary>
/// The <c>send</c> command: <c>send ADDRESS [LINE]... [--tls [--tls-ca FILE | --tls-insecure]] [--wait SECONDS]
/// [--connection-per-line]</c>. The seed's timestamp client made general: it sends lines (the arguments, else standard
/// input when it is redirected, else what is typed at a <c>&gt; </c> prompt) to any of the servers <c>serve</c> runs,
/// and prints the replies on standard output.
/// </summary>
internal static class SendCommand
{
    /// <summary>The longest <c>--wait</c>: one day.</summary>
    private const int MaxWaitSeconds = 86400;

    /// <summary>Builds the command and its action.</summary>
    /// <returns>The <c>send</c> command.</returns>
    public static Command Create()
    {
        Argument<string> address = new("address")
        {
            Description = "The server: tcp://HOST:PORT, udp://HOST:PORT, unix:PATH or unix-dgram:PATH; tls://HOST:PORT and unix+tls:PATH are TCP and Unix streams with TLS, as serve's ready lines print them. HOST is IPv4, [IPv6] or localhost.",
            HelpName = "tcp://HOST:PORT|udp://HOST:PORT|unix:PATH|unix-dgram:PATH",
        };
        Argument<string[]> lines = new("line")
        {
            Description = "Lines to send, each with a newline. Without any, the lines of standard input when it is redirected, else what is typed at a '> ' prompt (Ctrl-D ends).",
            HelpName = "LINE",
            Arity = ArgumentArity.ZeroOrMore,
        };
        Option<bool> tls = new("--tls") { Description = "Speak TLS over the TCP or Unix stream connection (tls:// and unix+tls: addresses do without it). The server's certificate must chain to a CA the system trusts, or to --tls-ca, and name the host." };
        Option<string> tlsCa = OptionValues.FileName(new("--tls-ca") { Description = "Trust the CA certificates in this PEM file (instead of the system's) for the server's certificate." });
        Option<bool> tlsInsecure = new("--tls-insecure") { Description = "Accept any server certificate, unchecked (said on standard error): for tests only." };
        Option<double> wait = OptionValues.Number(
            new Option<double>("--wait")
            {
                Description = "How long to wait for replies: on a stream, after the input has ended, for the server to close, counted from the last byte received; on datagrams, for each datagram's reply. Also how long a prompt waits for a reply before it comes back.",
                HelpName = "SECONDS",
                DefaultValueFactory = static _ => SendSettings.DefaultWaitSeconds,
            },
            0,
            MaxWaitSeconds,
            $"a number of seconds (more than 0, up to {MaxWaitSeconds})",
            minExclusive: true);
        Option<bool> connectionPerLine = new("--connection-per-line")
        {
            Description = "Send each line on a new connection and read its reply until the server closes, as the seed's timestamp client does: for a server that answers one line per connection (serve timestamp). Streams only.",
        };

        Command command = new("send", "Send lines to a server and print its replies. Exit code 2 if it cannot be reached, 6 if no reply came.")
        {
            address,
            lines,
            tls,
            tlsCa,
            tlsInsecure,
            wait,
            connectionPerLine,
        };

        command.SetAction(parseResult =>
        {
            SendTarget target;
            try
            {
                target = SendTarget.Parse(parseResult.GetRequiredValue(address));
            }
            catch (FormatException e)
            {
                return Fail(e.Message);
            }

            bool useTls = target.Tls || parseResult.GetValue(tls);
            string? caFile = parseResult.GetValue(tlsCa);
            bool insecure = parseResult.GetValue(tlsInsecure);
            if (Check(target, useTls, caFile, insecure, parseResult.GetValue(connectionPerLine)) is { } problem)
            {
                return Fail(problem);
            }

            TlsClient? tlsClient = null;
            if (useTls)
            {
                try
                {
                    tlsClient = new TlsClient(caFile is null ? null : CertificateFiles.LoadAuthorities(caFile), insecure);
                }
                catch (TlsConfigurationException e)
                {
                    return Fail(e.Message);
                }
            }

            if (insecure)
            {
                Console.Error.WriteLine($"socketserver: --tls-insecure: the certificate of {target.Text} is not checked; anyone on the way can read and change what is sent.");
            }

            string[] arguments = parseResult.GetValue(lines) ?? [];
            LineSource source = arguments.Length > 0
                ? new ArgumentLines(arguments)
                : Console.IsInputRedirected ? new StreamLines(Console.OpenStandardInput()) : new TerminalLines(Console.Error);
            var settings = new SendSettings(target, TimeSpan.FromSeconds(parseResult.GetValue(wait)), parseResult.GetValue(connectionPerLine), tlsClient);
            return Run(settings, source);
        });
        return command;
    }

    private static int Run(SendSettings settings, LineSource source)
    {
        using var stop = new CancellationTokenSource();
        // SIGINT and SIGTERM end the command at once, but through its clean-up: a Unix datagram client's socket is removed.
        using var signals = new StopSignals(stop);
        using Stream output = Console.OpenStandardOutput();
        Task<int> run = settings.Target.IsStream
            ? new StreamSession(settings, source, output, Console.Error).RunAsync(stop.Token)
            : new DatagramSession(settings, source, output, Console.Error).RunAsync(stop.Token);
        return run.GetAwaiter().GetResult();
    }

    /// <summary>The options that do not fit together or with the address; null when all is well.</summary>
    private static string? Check(SendTarget target, bool tls, string? caFile, bool insecure, bool connectionPerLine)
    {
        if (tls && !target.IsStream)
        {
            return $"TLS (--tls) needs a stream address (tcp://, unix:); {target.Text} is a datagram one.";
        }

        if (!tls && (caFile is not null || insecure))
        {
            return "--tls-ca and --tls-insecure need --tls, or a tls:// or unix+tls: address.";
        }

        if (caFile is not null && insecure)
        {
            return "--tls-ca and --tls-insecure do not go together: the first checks the certificate against the CA, the second not at all.";
        }

        return connectionPerLine && !target.IsStream
            ? $"--connection-per-line is for stream addresses (tcp://, unix:); on datagrams ({target.Text}) each line is a datagram anyway."
            : null;
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"socketserver: {message}");
        return ExitCodes.Address;
    }
}
