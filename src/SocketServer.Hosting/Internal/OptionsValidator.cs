using System.Net;
using Microsoft.Extensions.Options;

namespace SocketServer.Hosting.Internal;

/// <summary>
/// Checks a server's options when the host starts (<c>ValidateOnStart</c>), with one message per problem, each naming
/// the configuration key it is about: what the configuration held that could not be read, endpoints that are not
/// endpoints or that no handler of the server serves, a mode this platform lacks, TLS files that do not exist.
/// </summary>
/// <param name="registrations">The servers added with <c>AddSocketServer</c>, for their handlers.</param>
/// <param name="contentRoot">Where relative file paths are taken from.</param>
internal sealed class OptionsValidator(IEnumerable<ServerRegistration> registrations, ContentRoot contentRoot) : IValidateOptions<SocketServerOptions>
{
    /// <inheritdoc/>
    public ValidateOptionsResult Validate(string? name, SocketServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ServerRegistration? registration = registrations.FirstOrDefault(r => string.Equals(r.Name, name, StringComparison.Ordinal));
        if (registration is null)
        {
            return ValidateOptionsResult.Skip;
        }

        string prefix = registration.SectionPath;
        List<string> failures = [.. options.ConfigurationErrors];
        List<Endpoint> endpoints = ValidateEndpoints(registration, options, failures);
        if (!Enum.IsDefined(options.Mode))
        {
            failures.Add($"{prefix}:Mode: {(int)options.Mode} is not a mode; use async, threading, sync or forking.");
        }
        else if (options.Mode == SocketServerMode.Forking && !(OperatingSystem.IsLinux() && Environment.Is64BitProcess))
        {
            failures.Add($"{prefix}:Mode: forking needs 64-bit Linux (sockets are handed to worker processes with SCM_RIGHTS); use async or threading here.");
        }

        ValidateTls(prefix, options.Tls, endpoints, failures);
        ValidateProxyProtocol(prefix, options, endpoints, failures);
        ValidateServing(prefix, options, endpoints, failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static List<Endpoint> ValidateEndpoints(ServerRegistration registration, SocketServerOptions options, List<string> failures)
    {
        string prefix = registration.SectionPath;
        List<Endpoint> parsed = [];
        if (options.Endpoints.Count == 0)
        {
            failures.Add($"{prefix}:Endpoints: the server has no endpoint; add one, such as \"tcp://127.0.0.1:10001\".");
        }

        bool hasHandler = registration.StreamHandler is not null || registration.DatagramHandler is not null;
        if (!hasHandler)
        {
            failures.Add($"{prefix}: the server has no handler; add one with AddSocketServer<THandler>(\"{registration.Name}\") or UseHandler<THandler>().");
        }

        for (int i = 0; i < options.Endpoints.Count; i++)
        {
            string value = options.Endpoints[i];
            string key = $"{prefix}:Endpoints:{i}";
            if (!Endpoint.TryParse(value, out Endpoint? endpoint, out string? error))
            {
                failures.Add($"{key}: '{value}' is not an endpoint: {error}");
                continue;
            }

            if (hasHandler && registration.HandlerFor(endpoint.Kind) is null)
            {
                failures.Add(endpoint.IsStream
                    ? $"{key}: {value} is a stream endpoint, but the server's handler ({registration.DatagramHandler?.HandlerType.Name}) serves datagrams; add a StreamRequestHandler or AsyncStreamRequestHandler with UseHandler, or remove the endpoint."
                    : $"{key}: {value} is a datagram endpoint, but the server's handler ({registration.StreamHandler?.HandlerType.Name}) serves streams; add a DatagramRequestHandler or AsyncDatagramRequestHandler with UseHandler, or remove the endpoint.");
            }

            if (endpoint.EndPoint is not IPEndPoint { Port: 0 } && parsed.Contains(endpoint))
            {
                failures.Add($"{key}: {value} is listed twice.");
            }

            parsed.Add(endpoint);
        }

        return parsed;
    }

    private void ValidateTls(string prefix, SocketServerTlsOptions tls, List<Endpoint> endpoints, List<string> failures)
    {
        if (!tls.IsEnabled)
        {
            foreach ((string key, string? value) in new[] { ("KeyFile", tls.KeyFile), ("Password", tls.Password), ("ClientCaFile", tls.ClientCaFile) })
            {
                if (value is not null)
                {
                    failures.Add($"{prefix}:Tls:{key} is set, but Tls:CertificateFile is not: TLS needs the server's certificate.");
                }
            }

            return;
        }

        if (tls.Options is not null && tls.CertificateFile is not null)
        {
            failures.Add($"{prefix}:Tls: both TLS options in code and Tls:CertificateFile are set; use one.");
        }

        CheckFile($"{prefix}:Tls:CertificateFile", tls.CertificateFile, failures);
        CheckFile($"{prefix}:Tls:KeyFile", tls.KeyFile, failures);
        CheckFile($"{prefix}:Tls:ClientCaFile", tls.ClientCaFile, failures);
        if (endpoints.Count > 0 && !endpoints.Any(static e => e.IsStream))
        {
            failures.Add($"{prefix}:Tls: TLS is set, but the server has no stream endpoint (tcp:// or unix:) to use it; datagram endpoints are served in plaintext.");
        }
    }

    /// <summary>
    /// The PROXY protocol is for stream endpoints: a datagram endpoint of the same server is refused (its clients would
    /// silently keep their own addresses while the server's settings say a proxy speaks for them). A server that trusts
    /// no source of one of its kinds of stream endpoint would refuse every connection there.
    /// </summary>
    private static void ValidateProxyProtocol(string prefix, SocketServerOptions options, List<Endpoint> endpoints, List<string> failures)
    {
        if (options.ProxyProtocol is not { } proxy)
        {
            return;
        }

        for (int i = 0; i < options.Endpoints.Count; i++)
        {
            if (Endpoint.TryParse(options.Endpoints[i], out Endpoint? endpoint, out _) && !endpoint.IsStream)
            {
                failures.Add($"{prefix}:Endpoints:{i}: {options.Endpoints[i]} is a datagram endpoint, but ProxyProtocol is enabled: the PROXY protocol is for stream endpoints (tcp://, unix:); serve the datagram endpoint from a server of its own.");
            }
        }

        if (proxy.TrustedNetworks.Count == 0 && endpoints.Any(static e => e.Kind == EndpointKind.Tcp))
        {
            failures.Add($"{prefix}:ProxyProtocol:TrustedNetworks: no network is trusted, so every TCP connection would be refused; add the proxies' networks, as \"10.0.0.0/8\".");
        }

        if (!proxy.TrustUnixPeers && endpoints.Any(static e => e.Kind == EndpointKind.Unix))
        {
            failures.Add($"{prefix}:ProxyProtocol:TrustUnixPeers: the Unix peers are not trusted, so every connection to the Unix endpoints would be refused; set it to true (the socket file's permissions then decide who may connect).");
        }
    }

    /// <summary>The engine is the async mode's and the parked threads the threading mode's: set elsewhere, they would do nothing.</summary>
    private static void ValidateServing(string prefix, SocketServerOptions options, List<Endpoint> endpoints, List<string> failures)
    {
        string mode = options.Mode.ToString().ToLowerInvariant();
        if (options.AsyncTransport is { } transport)
        {
            if (!Enum.IsDefined(transport))
            {
                failures.Add($"{prefix}:AsyncTransport: {(int)transport} is not a transport; use epoll, io_uring or portable.");
            }
            else if (options.Mode != SocketServerMode.Async)
            {
                failures.Add($"{prefix}:AsyncTransport: {ServerSectionBinder.TransportName(transport)} is an engine of Mode async, which the {mode} mode does not use; set Mode to async, or remove AsyncTransport.");
            }
        }

        if (options.MaxIdleThreads is { } idle)
        {
            if (idle < 0)
            {
                failures.Add($"{prefix}:MaxIdleThreads: {idle} is not allowed: the count must be 0 or more (0 starts a new thread for every request, as Python does).");
            }
            else if (options.Mode != SocketServerMode.Threading)
            {
                failures.Add($"{prefix}:MaxIdleThreads: request threads are kept by Mode threading only, and the {mode} mode has none; set Mode to threading, or remove MaxIdleThreads.");
            }
        }

        if (options.AllowReusePort)
        {
            if (!(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD()))
            {
                failures.Add($"{prefix}:AllowReusePort: this platform has no SO_REUSEPORT (Linux, macOS and FreeBSD do); remove it.");
            }
            else if (endpoints.Count > 0 && !endpoints.Any(static e => e.Kind is EndpointKind.Tcp or EndpointKind.Udp))
            {
                failures.Add($"{prefix}:AllowReusePort: the server has no TCP or UDP endpoint, and SO_REUSEPORT is for those only; remove it.");
            }
        }
    }

    private void CheckFile(string key, string? path, List<string> failures)
    {
        if (path is null)
        {
            return;
        }

        string full = contentRoot.Resolve(path);
        if (!File.Exists(full))
        {
            failures.Add($"{key}: the file '{path}' does not exist{(full == path ? "" : $" ({full})")}.");
        }
    }
}
