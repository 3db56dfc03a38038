using System.CommandLine;

namespace SocketServer.Cli;

/// <summary>
/// The <c>serve</c> command: <c>serve &lt;echo|discard|daytime|chargen|time|timestamp&gt; [--tcp HOST:PORT]...
/// [--mode sync|threading|forking|async] [--transport epoll|io_uring] [--tls-cert FILE ...]</c>.
/// </summary>
internal static class ServeCommand
{
    /// <summary>The longest <c>--drain-timeout</c>: one day.</summary>
    private const int MaxDrainSeconds = 86400;

    /// <summary>Builds the command and its action.</summary>
    /// <returns>The <c>serve</c> command.</returns>
    public static Command Create()
    {
        Argument<string> protocol = new("protocol")
        {
            Description = "The protocol to serve: echo (RFC 862: everything comes back), discard (RFC 863: nothing comes back), daytime (RFC 867: the local time in one line), chargen (RFC 864: lines of characters without end; on datagrams, 0 to 512 of them per datagram), time (RFC 868: 4 bytes, seconds since 1900) or timestamp (each line comes back behind [ctime]).",
        };
        OptionValues.OneOf(protocol, ProtocolHandlers.Names);

        Option<string[]> tcp = ListenerOption("--tcp", "HOST:PORT", "Serve on a TCP address (IPv4, [IPv6] or localhost; port 0 picks a free port).");
        Option<string[]> udp = ListenerOption("--udp", "HOST:PORT", "Serve on a UDP address (IPv4, [IPv6] or localhost; port 0 picks a free port).");
        Option<string[]> unix = ListenerOption("--unix", "PATH", "Serve on a Unix-domain stream socket at PATH (@NAME for a Linux abstract socket).");
        Option<string[]> unixDgram = ListenerOption("--unix-dgram", "PATH", "Serve on a Unix-domain datagram socket at PATH (@NAME for a Linux abstract socket).");
        Option<string> mode = new("--mode")
        {
            Description = "sync serves one request at a time per listener, as Python's TCPServer; threading serves each request on its own thread; forking serves each request in a worker process; async serves on event loops with async handlers (ServeAsync), no thread per connection.",
            DefaultValueFactory = static _ => "sync",
        };
        OptionValues.OneOf(mode, "sync", "threading", "forking", "async");
        Option<string> transport = new("--transport")
        {
            Description = "The engine of --mode async: epoll (the default: the library's epoll event loops) or io_uring (io_uring event loops for TCP and Unix stream listeners, Linux 6.0+; where io_uring is unavailable, epoll serves and one warning says why; datagram listeners always use epoll).",
            DefaultValueFactory = static _ => "epoll",
        };
        OptionValues.OneOf(transport, "epoll", "io_uring");
        Option<string> tlsCert = OptionValues.FileName(new("--tls-cert")
        {
            Description = "Serve the stream listeners (--tcp, --unix) over TLS 1.2/1.3 with this certificate: PEM (with --tls-key, or with the key in the same file) or PKCS#12 (.pfx, .p12).",
        });
        Option<string> tlsKey = OptionValues.FileName(new("--tls-key") { Description = "The PEM private key of --tls-cert (unencrypted)." });
        Option<string> tlsPassword = new("--tls-password") { Description = "The password of a PKCS#12 --tls-cert.", HelpName = "PASSWORD" };
        Option<string> tlsClientCa = OptionValues.FileName(new("--tls-client-ca") { Description = "Require client certificates issued by a CA in this PEM file." });
        Option<double> drainTimeout = OptionValues.Number(
            new Option<double>("--drain-timeout")
            {
                Description = "On SIGTERM or SIGINT, how many seconds requests in progress may take to finish before they are aborted (idle connections close at once).",
                HelpName = "SECONDS",
                DefaultValueFactory = static _ => ServeSession.DefaultDrainTimeout.TotalSeconds,
            },
            0,
            MaxDrainSeconds,
            $"a number of seconds (0 to {MaxDrainSeconds})");
        Option<int?> maxConnections = OptionValues.OptionalNumber(
            new Option<int?>("--max-connections")
            {
                Description = "The most connections each stream listener serves at once; the surplus waits in the listen backlog. 0 for no limit. Default: three quarters of the descriptor limit (ulimit -n), at least 128 below it.",
            },
            0,
            int.MaxValue,
            "a whole number (0 for no limit, or more)");

        Option<bool> keepStaleSocket = new("--keep-stale-socket")
        {
            Description = "Refuse to start when a --unix or --unix-dgram path holds a stale socket file (one no server listens on, left by a killed server), instead of removing it.",
        };

        Command command = new("serve", "Serve a protocol on one or more listeners until SIGINT or SIGTERM. Without a listener option, serves TCP on 127.0.0.1:10001.")
        {
            protocol,
            tcp,
            udp,
            unix,
            unixDgram,
            mode,
            transport,
            tlsCert,
            tlsKey,
            tlsPassword,
            tlsClientCa,
            drainTimeout,
            maxConnections,
            keepStaleSocket,
        };

        command.Validators.Add(result =>
        {
            if (result.GetResult(transport) is { Implicit: false } && result.GetValue(mode) != "async")
            {
                result.AddError("--transport chooses the engine of --mode async; add --mode async (the other modes do not use it).");
            }
        });

        command.SetAction(parseResult =>
        {
            List<ListenerSpec> listeners = [];
            try
            {
                AddListeners(listeners, ListenerKind.Tcp, parseResult.GetValue(tcp));
                AddListeners(listeners, ListenerKind.Udp, parseResult.GetValue(udp));
                AddListeners(listeners, ListenerKind.Unix, parseResult.GetValue(unix));
                AddListeners(listeners, ListenerKind.UnixDatagram, parseResult.GetValue(unixDgram));
            }
            catch (FormatException e)
            {
                Console.Error.WriteLine($"socketserver: {e.Message}");
                return ExitCodes.Address;
            }

            if (listeners.Count == 0)
            {
                listeners.Add(ListenerSpec.Default);
            }

            TlsOptions? tls;
            try
            {
                tls = new TlsArguments(parseResult.GetValue(tlsCert), parseResult.GetValue(tlsKey), parseResult.GetValue(tlsPassword), parseResult.GetValue(tlsClientCa)).Load();
            }
            catch (TlsConfigurationException e)
            {
                Console.Error.WriteLine($"socketserver: {e.Message}");
                return ExitCodes.Address;
            }

            if (tls is not null && !listeners.Any(static l => l.IsStream))
            {
                Console.Error.WriteLine("socketserver: TLS (--tls-cert) needs a stream listener (--tcp or --unix); UDP and Unix datagram listeners cannot use it.");
                return ExitCodes.Address;
            }

            ServeProtocol serveProtocol = ProtocolHandlers.Parse(parseResult.GetValue(protocol));
            ServeMode serveMode = parseResult.GetValue(mode) switch
            {
                "threading" => ServeMode.Threading,
                "forking" => ServeMode.Forking,
                "async" => ServeMode.Async,
                _ => ServeMode.Sync,
            };
            // The library's events, one line each on standard error (the ready lines on standard output stay as they are).
            using Microsoft.Extensions.Logging.ILoggerFactory loggerFactory = CliLogging.CreateFactory();
            using ServeSession session = new(Console.Out, Console.Error)
            {
                LoggerFactory = loggerFactory,
                DrainTimeout = TimeSpan.FromSeconds(parseResult.GetValue(drainTimeout)),
                // Absent means the library's default; System.CommandLine would give 0 (no limit) for an absent int?.
                MaxConnections = parseResult.GetResult(maxConnections) is null ? null : parseResult.GetValue(maxConnections),
                KeepStaleSocketFiles = parseResult.GetValue(keepStaleSocket),
                Transport = parseResult.GetValue(transport) == "io_uring" ? AsyncTransport.IoUring : AsyncTransport.Epoll,
            };
            return session.Run(listeners, serveProtocol, serveMode, tls);
        });
        return command;
    }

    private static Option<string[]> ListenerOption(string name, string helpName, string description) => new(name)
    {
        Description = description + " Repeatable.",
        HelpName = helpName,
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    private static void AddListeners(List<ListenerSpec> listeners, ListenerKind kind, string[]? values)
    {
        foreach (string value in values ?? [])
        {
            listeners.Add(ListenerSpec.Parse(kind, value));
        }
    }
}
