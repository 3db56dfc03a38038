using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace SocketServer.Hosting.Internal;

/// <summary>
/// Binds a server's options from its configuration section, <c>SocketServer:Servers:NAME</c>. Written out rather than
/// left to the reflection binder, for two reasons: every value it cannot read, and every key that is not a setting,
/// becomes one validation message naming the key (the reflection binder throws at the first bad value, and ignores
/// unknown keys, so a typo would silently keep a default); and it needs no reflection, so trimming and AOT stay clean.
/// </summary>
/// <param name="name">The server's name: only its options are bound here.</param>
/// <param name="configuration">The host's configuration; null when the container has none.</param>
internal sealed class ServerSectionBinder(string name, IConfiguration? configuration) : IConfigureNamedOptions<SocketServerOptions>
{
    private static readonly string[] s_settings =
        ["Endpoints", "Mode", "Limits", "Tls", "Unix", "ProxyProtocol", "AsyncTransport", "MaxIdleThreads", "AllowReusePort"];
    private static readonly string[] s_limits =
        ["Unlimited", "MaxConnections", "MaxConnectionsPerClient", "IdleTimeout", "FirstUnitTimeout", "MaxLineLength", "MinReceiveRate", "MinSendRate"];

    private static readonly string[] s_rate = ["BytesPerSecond", "GracePeriod"];
    private static readonly string[] s_tls = ["CertificateFile", "KeyFile", "Password", "ClientCaFile", "HandshakeTimeout"];
    private static readonly string[] s_unix = ["RecoverStaleSocketFile", "RemoveSocketFileOnClose", "SocketFileMode", "SocketFileGroup"];
    private static readonly string[] s_proxy = ["Enabled", "TrustedNetworks", "TrustUnixPeers", "HeaderTimeout", "Versions"];

    /// <inheritdoc/>
    public void Configure(string? name1, SocketServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (configuration is null || !string.Equals(name1, name, StringComparison.Ordinal))
        {
            return;
        }

        IConfigurationSection section = configuration.GetSection(SocketServerOptions.ServersSection + ":" + name);
        if (!section.Exists())
        {
            return;
        }

        List<string> errors = options.ConfigurationErrors;
        RejectUnknown(section, s_settings, errors);
        BindEndpoints(section.GetSection("Endpoints"), options.Endpoints, errors);
        if (section["Mode"] is { } mode)
        {
            if (ParseMode(mode) is { } parsed)
            {
                options.Mode = parsed;
            }
            else
            {
                errors.Add($"{section.GetSection("Mode").Path}: '{mode}' is not a mode; use async, threading, sync or forking.");
            }
        }

        BindLimits(section.GetSection("Limits"), options, errors);
        BindTls(section.GetSection("Tls"), options.Tls, errors);
        BindUnix(section.GetSection("Unix"), options.Unix, errors);
        BindProxyProtocol(section.GetSection("ProxyProtocol"), options, errors);
        BindServing(section, options, errors);
    }

    /// <inheritdoc/>
    public void Configure(SocketServerOptions options) => Configure(Options.DefaultName, options);

    /// <summary>The mode named <paramref name="value"/> (any case), or null: numbers and combinations are not modes.</summary>
    internal static SocketServerMode? ParseMode(string value)
    {
        foreach (SocketServerMode mode in Enum.GetValues<SocketServerMode>())
        {
            if (value.Trim().Equals(mode.ToString(), StringComparison.OrdinalIgnoreCase))
            {
                return mode;
            }
        }

        return null;
    }

    /// <summary>The transport named <paramref name="value"/> (any case; <c>io_uring</c> as the command writes it), or null.</summary>
    internal static AsyncTransport? ParseTransport(string value)
    {
        string name = value.Trim().Replace("_", "", StringComparison.Ordinal);
        foreach (AsyncTransport transport in Enum.GetValues<AsyncTransport>())
        {
            if (name.Equals(transport.ToString(), StringComparison.OrdinalIgnoreCase))
            {
                return transport;
            }
        }

        return null;
    }

    /// <summary>The transport as the configuration writes it: <c>epoll</c>, <c>io_uring</c>, <c>portable</c>.</summary>
    internal static string TransportName(AsyncTransport transport) =>
        transport == AsyncTransport.IoUring ? "io_uring" : transport.ToString().ToLowerInvariant();

    /// <summary>
    /// A trusted PROXY source: a network in CIDR form, or one address (a network of one), as the
    /// command's <c>--proxy-trust</c> takes it.
    /// </summary>
    internal static bool TryParseNetwork(string value, out IPNetwork network)
    {
        string text = value.Trim();
        if (IPNetwork.TryParse(text, out network))
        {
            return true;
        }

        if (!text.Contains('/', StringComparison.Ordinal) && IPAddress.TryParse(text, out IPAddress? address)
            && text.Contains(address.AddressFamily == AddressFamily.InterNetwork ? '.' : ':', StringComparison.Ordinal))
        {
            network = new IPNetwork(address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128);
            return true;
        }

        return false;
    }

    /// <summary>The settings of how requests are served: the engine, the parked threads, SO_REUSEPORT.</summary>
    private static void BindServing(IConfigurationSection section, SocketServerOptions options, List<string> errors)
    {
        IConfigurationSection transport = section.GetSection("AsyncTransport");
        if (transport.Value is { } name)
        {
            if (ParseTransport(name) is { } parsed)
            {
                options.AsyncTransport = parsed;
            }
            else
            {
                errors.Add($"{transport.Path}: '{name}' is not a transport; use epoll, io_uring or portable.");
            }
        }
        else
        {
            RejectSection(transport, errors);
        }

        IConfigurationSection idle = section.GetSection("MaxIdleThreads");
        if (idle.Value is { } count)
        {
            // The range (0 or more) is checked by the validator, which sees values set in code too.
            if (int.TryParse(count, NumberStyles.AllowLeadingSign | NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite, CultureInfo.InvariantCulture, out int parsed))
            {
                options.MaxIdleThreads = parsed;
            }
            else
            {
                errors.Add($"{idle.Path}: '{count}' is not a whole number (0 starts a new thread for every request).");
            }
        }
        else
        {
            RejectSection(idle, errors);
        }

        options.AllowReusePort = ReadBool(section.GetSection("AllowReusePort"), errors) ?? options.AllowReusePort;
    }

    /// <summary>
    /// The <c>ProxyProtocol</c> section. It is on only with <c>"Enabled": true</c>: a PROXY listener refuses every
    /// client that is not a proxy, so it is never switched on by a stray key; <c>"Enabled": false</c> switches it off
    /// (an environment variable overriding <c>appsettings.json</c>) and the other keys are still checked.
    /// </summary>
    private static void BindProxyProtocol(IConfigurationSection section, SocketServerOptions options, List<string> errors)
    {
        if (!section.Exists())
        {
            return;
        }

        if (section.Value is { } value)
        {
            errors.Add($"{section.Path}: '{value}' is not a section; write {{ \"Enabled\": true, \"TrustedNetworks\": [ \"10.0.0.0/8\" ] }}.");
            return;
        }

        RejectUnknown(section, s_proxy, errors);
        ProxyProtocolOptions proxy = options.ProxyProtocol ?? new ProxyProtocolOptions();
        IConfigurationSection networks = section.GetSection("TrustedNetworks");
        IEnumerable<IConfigurationSection> entries = networks.Value is { Length: > 0 } ? [networks] : networks.GetChildren();
        foreach (IConfigurationSection entry in entries)
        {
            if (entry.Value is not { } text)
            {
                errors.Add($"{entry.Path}: a network is a string such as \"10.0.0.0/8\", not a section.");
            }
            else if (TryParseNetwork(text, out IPNetwork network))
            {
                // .NET masks the bits after the prefix away, which would widen "10.0.0.1/8" (one proxy meant) to the
                // whole 10.0.0.0/8 without a word: trust is not widened silently.
                string written = text.Trim();
                int slash = written.IndexOf('/', StringComparison.Ordinal);
                if (slash > 0 && IPAddress.TryParse(written[..slash], out IPAddress? address) && !address.Equals(network.BaseAddress))
                {
                    errors.Add($"{entry.Path}: '{text}' has bits set after the prefix, so it would trust all of {network}; write {network}, or {address}/{(address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128)} for the one address.");
                }
                else
                {
                    proxy.TrustedNetworks.Add(network);
                }
            }
            else
            {
                errors.Add($"{entry.Path}: '{text}' is not a network; write it in CIDR form, as \"10.0.0.0/8\" or \"::1/128\", or as one address.");
            }
        }

        proxy.TrustUnixPeers = ReadBool(section.GetSection("TrustUnixPeers"), errors) ?? proxy.TrustUnixPeers;
        IConfigurationSection timeoutKey = section.GetSection("HeaderTimeout");
        if (timeoutKey.Value is not null && ReadTimeSpan(timeoutKey, errors) is { } timeout)
        {
            if (timeout > TimeSpan.Zero && timeout <= TimeSpan.FromDays(1))
            {
                proxy.HeaderTimeout = timeout;
            }
            else
            {
                errors.Add($"{timeoutKey.Path}: {timeoutKey.Value} is not allowed: the header timeout must be longer than 0 and at most a day.");
            }
        }

        IConfigurationSection versionsKey = section.GetSection("Versions");
        if (versionsKey.Value is { } versions)
        {
            if (ParseVersions(versions) is { } parsed)
            {
                proxy.Versions = parsed;
            }
            else
            {
                errors.Add($"{versionsKey.Path}: '{versions}' is not a version; use V1, V2 or Any.");
            }
        }

        IConfigurationSection enabledKey = section.GetSection("Enabled");
        switch (ReadBool(enabledKey, errors))
        {
            case true:
                options.ProxyProtocol = proxy;
                break;
            case false:
                options.ProxyProtocol = null;
                break;
            case null when enabledKey.Value is null:
                errors.Add($"{enabledKey.Path}: the PROXY protocol is set up but not switched on; add \"Enabled\": true (every connection must then come from a trusted proxy), or \"Enabled\": false.");
                break;
        }
    }

    private static ProxyProtocolVersions? ParseVersions(string value) => value.Trim().ToUpperInvariant() switch
    {
        "V1" => ProxyProtocolVersions.V1,
        "V2" => ProxyProtocolVersions.V2,
        "ANY" => ProxyProtocolVersions.Any,
        _ => null,
    };

    private static void BindEndpoints(IConfigurationSection section, IList<string> endpoints, List<string> errors)
    {
        // A single endpoint may be written as a string; a list as an array (children 0, 1, ...).
        if (section.Value is { Length: > 0 } single)
        {
            endpoints.Add(single);
            return;
        }

        foreach (IConfigurationSection child in section.GetChildren())
        {
            if (child.Value is { } value)
            {
                endpoints.Add(value);
            }
            else
            {
                errors.Add($"{child.Path}: an endpoint is a string such as \"tcp://127.0.0.1:10001\", not a section.");
            }
        }
    }

    private static void BindLimits(IConfigurationSection section, SocketServerOptions options, List<string> errors)
    {
        if (!section.Exists())
        {
            return;
        }

        RejectUnknown(section, s_limits, errors);
        if (ReadBool(section.GetSection("Unlimited"), errors) is true)
        {
            options.Limits = ServerLimits.Unlimited();
        }

        ServerLimits limits = options.Limits;
        BindCount(section.GetSection("MaxConnections"), v => limits.MaxConnections = v, errors);
        BindCount(section.GetSection("MaxConnectionsPerClient"), v => limits.MaxConnectionsPerClient = v, errors);
        BindCount(section.GetSection("MaxLineLength"), v => limits.MaxLineLength = v, errors);
        BindTimeout(section.GetSection("IdleTimeout"), v => limits.IdleTimeout = v, errors);
        BindTimeout(section.GetSection("FirstUnitTimeout"), v => limits.FirstUnitTimeout = v, errors);
        BindRate(section.GetSection("MinReceiveRate"), limits.MinReceiveRate, v => limits.MinReceiveRate = v, errors);
        BindRate(section.GetSection("MinSendRate"), limits.MinSendRate, v => limits.MinSendRate = v, errors);
    }

    private static void BindTls(IConfigurationSection section, SocketServerTlsOptions tls, List<string> errors)
    {
        if (!section.Exists())
        {
            return;
        }

        RejectUnknown(section, s_tls, errors);
        tls.CertificateFile = section["CertificateFile"] ?? tls.CertificateFile;
        tls.KeyFile = section["KeyFile"] ?? tls.KeyFile;
        tls.Password = section["Password"] ?? tls.Password;
        tls.ClientCaFile = section["ClientCaFile"] ?? tls.ClientCaFile;
        IConfigurationSection handshake = section.GetSection("HandshakeTimeout");
        if (handshake.Value is { } value)
        {
            if (IsNone(value))
            {
                tls.HandshakeTimeout = Timeout.InfiniteTimeSpan;
            }
            else if (ReadTimeSpan(handshake, errors) is { } timeout)
            {
                if (timeout > TimeSpan.Zero)
                {
                    tls.HandshakeTimeout = timeout;
                }
                else
                {
                    errors.Add($"{handshake.Path}: {value} is not allowed: the handshake timeout must be longer than 0 (\"none\" for no limit).");
                }
            }
        }
    }

    private static void BindUnix(IConfigurationSection section, SocketServerUnixOptions unix, List<string> errors)
    {
        if (!section.Exists())
        {
            return;
        }

        RejectUnknown(section, s_unix, errors);
        unix.RecoverStaleSocketFile = ReadBool(section.GetSection("RecoverStaleSocketFile"), errors) ?? unix.RecoverStaleSocketFile;
        unix.RemoveSocketFileOnClose = ReadBool(section.GetSection("RemoveSocketFileOnClose"), errors) ?? unix.RemoveSocketFileOnClose;
        unix.SocketFileGroup = section["SocketFileGroup"] ?? unix.SocketFileGroup;
        IConfigurationSection mode = section.GetSection("SocketFileMode");
        if (mode.Value is { } value)
        {
            if (TryParseOctal(value.Trim(), out int bits) && bits <= 0b111_111_111_111)
            {
                unix.SocketFileMode = (UnixFileMode)bits;
            }
            else
            {
                errors.Add($"{mode.Path}: '{value}' is not a file mode; write it in octal, as \"0660\".");
            }
        }
    }

    private static void BindCount(IConfigurationSection key, Action<int?> set, List<string> errors)
    {
        if (key.Value is not { } value)
        {
            RejectSection(key, errors);
            return;
        }

        int? count;
        if (IsNone(value))
        {
            count = null;
        }
        else if (int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int number))
        {
            count = number;
        }
        else
        {
            errors.Add($"{key.Path}: '{value}' is not a whole number (\"none\" switches the limit off).");
            return;
        }

        try
        {
            set(count);
        }
        catch (ArgumentOutOfRangeException)
        {
            errors.Add($"{key.Path}: {value} is not allowed: the limit must be at least 1 (\"none\" switches it off).");
        }
    }

    private static void BindTimeout(IConfigurationSection key, Action<TimeSpan?> set, List<string> errors)
    {
        if (key.Value is not { } value)
        {
            RejectSection(key, errors);
            return;
        }

        TimeSpan? timeout = null;
        if (!IsNone(value))
        {
            timeout = ReadTimeSpan(key, errors);
            if (timeout is null)
            {
                return;
            }
        }

        try
        {
            set(timeout);
        }
        catch (ArgumentOutOfRangeException)
        {
            errors.Add($"{key.Path}: {value} is not allowed: the timeout must be longer than 0 (\"none\" switches it off).");
        }
    }

    private static void BindRate(IConfigurationSection section, MinDataRate? current, Action<MinDataRate?> set, List<string> errors)
    {
        if (!section.Exists())
        {
            return;
        }

        if (section.Value is { } value)
        {
            if (IsNone(value))
            {
                set(null);
            }
            else
            {
                errors.Add($"{section.Path}: '{value}' is not a rate; write {{ \"BytesPerSecond\": 240, \"GracePeriod\": \"00:00:05\" }}, or \"none\".");
            }

            return;
        }

        RejectUnknown(section, s_rate, errors);
        double bytesPerSecond = current?.BytesPerSecond ?? MinDataRate.KestrelDefault().BytesPerSecond;
        TimeSpan grace = current?.GracePeriod ?? MinDataRate.KestrelDefault().GracePeriod;
        IConfigurationSection rateKey = section.GetSection("BytesPerSecond");
        if (rateKey.Value is { } rate)
        {
            if (!double.TryParse(rate, NumberStyles.Float, CultureInfo.InvariantCulture, out bytesPerSecond) || !(bytesPerSecond > 0) || double.IsInfinity(bytesPerSecond))
            {
                errors.Add($"{rateKey.Path}: '{rate}' is not allowed: the rate must be a number of bytes per second above 0.");
                return;
            }
        }

        IConfigurationSection graceKey = section.GetSection("GracePeriod");
        if (graceKey.Value is not null)
        {
            if (ReadTimeSpan(graceKey, errors) is not { } read)
            {
                return;
            }

            if (read < TimeSpan.Zero)
            {
                errors.Add($"{graceKey.Path}: {graceKey.Value} is not allowed: the grace period must not be negative.");
                return;
            }

            grace = read;
        }

        set(new MinDataRate(bytesPerSecond, grace));
    }

    private static TimeSpan? ReadTimeSpan(IConfigurationSection key, List<string> errors)
    {
        string value = key.Value!;
        // A bare number is refused: TimeSpan reads "130" as 130 days, which is never what was meant.
        if (value.Contains(':', StringComparison.Ordinal) && TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out TimeSpan parsed))
        {
            return parsed;
        }

        errors.Add($"{key.Path}: '{value}' is not a time span; write it as hh:mm:ss, as \"00:02:10\".");
        return null;
    }

    private static bool? ReadBool(IConfigurationSection key, List<string> errors)
    {
        if (key.Value is not { } value)
        {
            return null;
        }

        if (bool.TryParse(value, out bool parsed))
        {
            return parsed;
        }

        errors.Add($"{key.Path}: '{value}' is not true or false.");
        return null;
    }

    private static bool TryParseOctal(string value, out int bits)
    {
        bits = 0;
        if (value.Length is 0 or > 5)
        {
            return false;
        }

        foreach (char c in value)
        {
            if (c is < '0' or > '7')
            {
                return false;
            }

            bits = (bits * 8) + (c - '0');
        }

        return true;
    }

    private static bool IsNone(string value) => value.Trim().Equals("none", StringComparison.OrdinalIgnoreCase);

    private static void RejectSection(IConfigurationSection key, List<string> errors)
    {
        if (key.Exists())
        {
            errors.Add($"{key.Path}: expected a value, not a section.");
        }
    }

    private static void RejectUnknown(IConfigurationSection section, string[] known, List<string> errors)
    {
        foreach (IConfigurationSection child in section.GetChildren())
        {
            if (!known.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                errors.Add($"{child.Path} is not a setting here; the settings are {string.Join(", ", known)}.");
            }
        }
    }
}
