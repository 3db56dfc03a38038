using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace SocketServer.Internal.Tls;

/// <summary>What a handler may know of its connection's TLS session: one reading for the sync and async handlers.</summary>
internal static class TlsFacts
{
    /// <summary>The negotiated version; <see cref="SslProtocols.None"/> without TLS.</summary>
    public static SslProtocols Protocol(SslStream? stream) => stream?.SslProtocol ?? SslProtocols.None;

    /// <summary>The protocol ALPN chose, or null when none was (or without TLS).</summary>
    public static SslApplicationProtocol? ApplicationProtocol(SslStream? stream) =>
        stream is { NegotiatedApplicationProtocol: { Protocol.IsEmpty: false } protocol } ? protocol : null;

    /// <summary>The SNI host name the client asked for, or null.</summary>
    public static string? HostName(SslStream? stream) =>
        string.IsNullOrEmpty(stream?.TargetHostName) ? null : stream.TargetHostName;

    /// <summary>The client's certificate, or null.</summary>
    public static X509Certificate2? ClientCertificate(SslStream? stream) => stream?.RemoteCertificate as X509Certificate2;
}
