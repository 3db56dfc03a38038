using System.CommandLine;
using System.Net;
using System.Net.Sockets;

namespace SocketServer.Cli;

/// <summary>
/// The <c>serve</c> command: <c>serve &lt;echo|discard|daytime|chargen|time|timestamp&gt; [--tcp HOST:PORT]...
/// [--mode sync|threading|forking|async] [--transport epoll|io_uring] [--max-idle-threads N] [--tls-cert FILE ...]</c>.
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
        Option<string> handler = new("--handler")
        {
            Description = "The shape of echo's stream handler in the sync, threading and forking modes: stream (the default) reads RFile and writes WFile (EchoStreamHandler, a StreamRequestHandler); raw receives and sends on the request socket itself, as a Python handler calling request.recv(65536) and sendall. For comparing like with like (benchmarks/run).",
            DefaultValueFactory = static _ => "stream",
        };
        OptionValues.OneOf(handler, "stream", "raw");
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
        Option<int?> maxIdleThreads = OptionValues.OptionalNumber(
            new Option<int?>("--max-idle-threads")
            {
                Description = "With --mode threading, how many request threads may wait for the next request once theirs ended, instead of ending (a parked thread is handed the next request; one idle for 20 seconds ends). 0 starts a new thread for every request, as Python does. Default: 64.",
            },
            0,
            int.MaxValue,
            "a whole number (0 or more)");

        Option<bool> proxyProtocol = new("--proxy-protocol")
        {
            Description = "Require a PROXY protocol header (HAProxy's send-proxy or send-proxy-v2) at the start of every connection of the stream listeners, from a --proxy-trust source; the client address logged and served is then the original client's. Never guessed: without this option a header is data.",
        };
        Option<string[]> proxyTrust = OptionValues.ProxySources(new Option<string[]>("--proxy-trust")
        {
            Description = "A source allowed to send PROXY headers: a network (10.0.0.0/8, ::1/128), an address, or unix for the peers of --unix listeners; other sources are closed unread. Repeatable. Default: 127.0.0.0/8 and ::1.",
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = false,
        });
        Option<double> proxyHeaderTimeout = OptionValues.Number(
            new Option<double>("--proxy-header-timeout")
            {
                Description = "How many seconds a trusted proxy has to send its whole header after connecting (the sync, threading and forking modes wait for it on the accepting thread, at most this long).",
                HelpName = "SECONDS",
                DefaultValueFactory = static _ => 5,
            },
            0,
            MaxDrainSeconds,
            $"a number of seconds (more than 0, up to {MaxDrainSeconds})",
            minExclusive: true);

        Option<bool> keepStaleSocket = new("--keep-stale-socket")
        {
            Description = "Refuse to start when a --unix or --unix-dgram path holds a stale socket file (one no server listens on, left by a killed server), instead of removing it.",
        };

        Option<bool> reusePort = new("--reuse-port")
        {
            Description = "Set SO_REUSEPORT on the TCP and UDP listeners, so that several processes started with it share one address and the kernel spreads new connections (and datagrams) among them (Linux; refused elsewhere). Off by default: without it, a second server on a busy port fails.",
        };
        Option<bool> systemd = new("--systemd")
        {
            Description = "Serve the sockets systemd passed (socket activation: LISTEN_FDS, LISTEN_PID, LISTEN_FDNAMES), besides any listener option. A socket named agent-check (FileDescriptorName=agent-check) answers the agent check instead. Not with --mode forking.",
        };
        Option<string> agentCheck = new("--agent-check")
        {
            Description = "Answer HAProxy's agent-check on this TCP address (HOST:PORT): one line per connection, 'up ready', 'drain' once SIGTERM or SIGINT starts the drain, or 'maint' after SIGUSR1 (SIGUSR2 puts it back to up).",
            HelpName = "HOST:PORT",
        };
        Option<double> drainDelay = OptionValues.Number(
            new Option<double>("--drain-delay")
            {
                Description = "On SIGTERM or SIGINT, how many seconds to keep accepting while the health state (--agent-check, metrics) already says drain, so that a load balancer stops sending new connections before the drain stops accepting them. Default 0.",
                HelpName = "SECONDS",
                DefaultValueFactory = static _ => 0,
            },
            0,
            MaxDrainSeconds,
            $"a number of seconds (0 to {MaxDrainSeconds})");

        Option<string> logLevel = new("--log-level")
        {
            Description = "The lowest level of the library's events written to standard error, one line each: debug (also one line per PROXY header accepted, naming the proxy and the client, and resets and probes), information (the default: limits, refused connections, failed handshakes), warning or error.",
            DefaultValueFactory = static _ => "information",
        };
        OptionValues.OneOf(logLevel, CliLogging.LevelNames);

        Command command = new("serve", "Serve a protocol on one or more listeners until SIGINT or SIGTERM. Without a listener option, serves TCP on 127.0.0.1:10001.")
        {
            protocol,
            tcp,
            udp,
            unix,
            unixDgram,
            mode,
            handler,
            transport,
            tlsCert,
            tlsKey,
            tlsPassword,
            tlsClientCa,
            drainTimeout,
            maxConnections,
            maxIdleThreads,
            proxyProtocol,
            proxyTrust,
            proxyHeaderTimeout,
            keepStaleSocket,
            reusePort,
            systemd,
            agentCheck,
            drainDelay,
            logLevel,
        };

        command.Validators.Add(result =>
        {
            if (result.GetResult(transport) is { Implicit: false } && result.GetValue(mode) != "async")
            {
                result.AddError("--transport chooses the engine of --mode async; add --mode async (the other modes do not use it).");
            }

            if (result.GetResult(maxIdleThreads) is { Implicit: false } && result.GetValue(mode) != "threading")
            {
                result.AddError("--max-idle-threads sets how many request threads --mode threading keeps; add --mode threading (the other modes have no request threads to keep).");
            }
        });

        command.SetAction(parseResult =>
        {
            bool fromSystemd = parseResult.GetValue(systemd);
            if (fromSystemd && parseResult.GetValue(mode) == "forking")
            {
                // Workers are this program started again: they could not take the sockets systemd passed to the parent.
                UsageError.Write(parseResult, Console.Error, "--systemd cannot be combined with --mode forking (use sync, threading or async)");
                return ExitCodes.Usage;
            }

            bool reuse = parseResult.GetValue(reusePort);
            if (reuse && !ReusePortSupported())
            {
                Console.Error.WriteLine("socketserver: --reuse-port needs SO_REUSEPORT, which this platform does not have (Linux, macOS and FreeBSD do).");
                return ExitCodes.Address;
            }

            List<ListenerSpec> listeners = [];
            EndPoint? agentAddress = null;
            try
            {
                AddListeners(listeners, ListenerKind.Tcp, parseResult.GetValue(tcp));
                AddListeners(listeners, ListenerKind.Udp, parseResult.GetValue(udp));
                AddListeners(listeners, ListenerKind.Unix, parseResult.GetValue(unix));
                AddListeners(listeners, ListenerKind.UnixDatagram, parseResult.GetValue(unixDgram));
                if (parseResult.GetValue(agentCheck) is { } agentValue)
                {
                    agentAddress = ListenerSpec.ParseAddress(ListenerKind.Tcp, agentValue, "--agent-check");
                }
            }
            catch (FormatException e)
            {
                Console.Error.WriteLine($"socketserver: {e.Message}");
                return ExitCodes.Address;
            }

            Socket? agentSocket = null;
            if (fromSystemd)
            {
                try
                {
                    agentSocket = SystemdListeners.Take(listeners);
                }
                catch (SystemdActivationException e)
                {
                    Console.Error.WriteLine($"socketserver: --systemd: {e.Message}");
                    return ExitCodes.Address;
                }
            }

            if (reuse)
            {
                listeners = [.. listeners.Select(static l => l with { ReusePort = l.Kind is ListenerKind.Tcp or ListenerKind.Udp && l.Adopted is null })];
            }

            if (listeners.Count == 0)
            {
                listeners.Add(ListenerSpec.Default with { ReusePort = reuse });
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

            ProxyProtocolOptions? proxy = null;
            if (parseResult.GetValue(proxyProtocol))
            {
                if (!listeners.Any(static l => l.IsStream))
                {
                    Console.Error.WriteLine("socketserver: the PROXY protocol (--proxy-protocol) needs a stream listener (--tcp or --unix); UDP and Unix datagram listeners cannot use it.");
                    return ExitCodes.Address;
                }

                proxy = ProxyOptions(parseResult.GetValue(proxyTrust), parseResult.GetValue(proxyHeaderTimeout));
            }
            else if (parseResult.GetResult(proxyTrust) is not null || parseResult.GetResult(proxyHeaderTimeout) is { Implicit: false })
            {
                Console.Error.WriteLine("socketserver: --proxy-trust and --proxy-header-timeout need --proxy-protocol: a listener never looks for a PROXY header unless told to.");
                return ExitCodes.Usage;
            }

            ServeProtocol serveProtocol = ProtocolHandlers.Parse(parseResult.GetValue(protocol));
            ServeMode serveMode = parseResult.GetValue(mode) switch
            {
                "threading" => ServeMode.Threading,
                "forking" => ServeMode.Forking,
                "async" => ServeMode.Async,
                _ => ServeMode.Sync,
            };
            if (parseResult.GetValue(handler) == "raw")
            {
                // The raw shape reads the plain socket, so it has no TLS, and the async mode's handlers have no socket to read.
                string? conflict = serveProtocol != ServeProtocol.Echo ? "serves echo only"
                    : serveMode == ServeMode.Async ? "needs --mode sync, threading or forking (async handlers read pipes, not the socket)"
                    : tls is not null ? "cannot serve TLS (it reads the socket itself); leave out --tls-cert"
                    : null;
                if (conflict is not null)
                {
                    Console.Error.WriteLine($"socketserver: --handler raw {conflict}.");
                    return ExitCodes.Usage;
                }

                serveProtocol = ServeProtocol.RawEcho;
            }

            // The library's events, one line each on standard error (the ready lines on standard output stay as they are).
            using Microsoft.Extensions.Logging.ILoggerFactory loggerFactory = CliLogging.CreateFactory(CliLogging.ParseLevel(parseResult.GetValue(logLevel)!));
            using ServeSession session = new(Console.Out, Console.Error)
            {
                LoggerFactory = loggerFactory,
                DrainTimeout = TimeSpan.FromSeconds(parseResult.GetValue(drainTimeout)),
                // Absent means the library's default; System.CommandLine would give 0 (no limit) for an absent int?.
                MaxConnections = parseResult.GetResult(maxConnections) is null ? null : parseResult.GetValue(maxConnections),
                MaxIdleThreads = parseResult.GetResult(maxIdleThreads) is null ? null : parseResult.GetValue(maxIdleThreads),
                KeepStaleSocketFiles = parseResult.GetValue(keepStaleSocket),
                AgentCheckAddress = agentAddress,
                AgentCheckSocket = agentSocket,
                DrainDelay = TimeSpan.FromSeconds(parseResult.GetValue(drainDelay)),
                ProxyProtocol = proxy,
                Transport = parseResult.GetValue(transport) == "io_uring" ? AsyncTransport.IoUring : AsyncTransport.Epoll,
            };
            return session.Run(listeners, serveProtocol, serveMode, tls);
        });
        return command;
    }

    private static bool ReusePortSupported() => OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD();
    /// <summary>The PROXY protocol options of <c>--proxy-trust</c> (loopback when absent) and <c>--proxy-header-timeout</c>.</summary>
    private static ProxyProtocolOptions ProxyOptions(string[]? sources, double timeoutSeconds)
    {
        var options = new ProxyProtocolOptions { HeaderTimeout = TimeSpan.FromSeconds(timeoutSeconds) };
        foreach (string source in sources is { Length: > 0 } ? sources : ["127.0.0.0/8", "::1/128"])
        {
            // Validated by the option's parser already.
            if (OptionValues.TryParseProxySource(source, out System.Net.IPNetwork? network) && network is { } n)
            {
                options.TrustedNetworks.Add(n);
            }
            else
            {
                options.TrustUnixPeers = true;
            }
        }

        return options;
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
