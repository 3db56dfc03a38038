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
