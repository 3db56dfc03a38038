using System.Globalization;
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
    private static readonly string[] s_settings = ["Endpoints", "Mode", "Limits", "Tls", "Unix"];
    private static readonly string[] s_limits =
        ["Unlimited", "MaxConnections", "MaxConnectionsPerClient", "IdleTimeout", "FirstUnitTimeout", "MaxLineLength", "MinReceiveRate", "MinSendRate"];

    private static readonly string[] s_rate = ["BytesPerSecond", "GracePeriod"];
    private static readonly string[] s_tls = ["CertificateFile", "KeyFile", "Password", "ClientCaFile", "HandshakeTimeout"];
    private static readonly string[] s_unix = ["RecoverStaleSocketFile", "RemoveSocketFileOnClose", "SocketFileMode", "SocketFileGroup"];

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
