using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using SocketServer.Internal.Tls;

namespace SocketServer.Internal.Async;

/// <summary>
/// The steps STARTTLS shares in every mode an async handler runs in: taking what the connection's input pipe already
/// holds (refusing plaintext there: STARTTLS command injection) and the handshake over the socket, with those bytes
/// read first.
/// </summary>
internal static class TlsUpgrade
{
    /// <summary>A TLS record carrying a handshake message (a ClientHello) starts with this byte, then 3 (the version's major).</summary>
    private const byte HandshakeRecord = 0x16;

    /// <summary>
    /// Takes what <paramref name="input"/> holds beyond what the handler consumed, without waiting. Bytes that start
    /// a TLS handshake record are the client's hello, sent once it read the "go ahead" reply: they are returned, for
    /// the handshake to read first. Anything else came in the clear after the command and is refused.
    /// </summary>
    /// <param name="input">The handler's input pipe, with nothing read and unconsumed.</param>
    /// <param name="clientAddress">The client, for the message.</param>
    /// <returns>The bytes of the client's hello already received (empty when none).</returns>
    /// <exception cref="InvalidOperationException">Plaintext is buffered after the command; nothing of it was consumed.</exception>
    public static byte[] TakeEarlyHandshake(PipeReader input, EndPoint? clientAddress)
    {
        if (!input.TryRead(out ReadResult result))
        {
            return [];
        }

        ReadOnlySequence<byte> buffered = result.Buffer;
        if (buffered.IsEmpty)
        {
            input.AdvanceTo(buffered.Start);
            return [];
        }

        if (!StartsAHandshakeRecord(buffered))
        {
            input.AdvanceTo(buffered.Start);
            throw new InvalidOperationException(
                $"StartTlsAsync refused: the client {clientAddress} sent {buffered.Length} more plaintext byte(s) after the command, before the TLS handshake; they might have been injected (STARTTLS command injection).");
        }

        byte[] early = buffered.ToArray();
        input.AdvanceTo(buffered.End);
        return early;
    }

    /// <summary>
    /// Takes whatever <paramref name="input"/> still holds, unchecked: on the reactor, what the loop read after
    /// <see cref="TakeEarlyHandshake"/> and before the connection left it, which came after the "go ahead" reply.
    /// </summary>
    public static byte[] TakeRest(PipeReader input)
    {
        if (!input.TryRead(out ReadResult result))
        {
            return [];
        }

        byte[] rest = result.Buffer.ToArray();
        input.AdvanceTo(result.Buffer.End);
        return rest;
    }

    /// <summary>
    /// The handshake as the server over <paramref name="socket"/> (which it never closes), the bytes already received
    /// read first, bounded by <see cref="TlsOptions.HandshakeTimeout"/> and reported as at accept time.
    /// </summary>
    /// <exception cref="TlsHandshakeException">The handshake failed or timed out.</exception>
    public static Task<SslStream> HandshakeAsync(Socket socket, byte[] early, TlsOptions options, EndPoint? clientAddress, Diagnostics.ServerDiagnostics? diagnostics, CancellationToken cancellationToken)
    {
        Stream inner = new NetworkStream(socket, ownsSocket: false);
        if (early.Length > 0)
        {
            inner = new PrefixedStream(early, inner);
        }

        return TlsHandshake.AuthenticateAsync(inner, options, clientAddress, diagnostics, cancellationToken);
    }

    /// <summary>Joins the bytes taken before and after a move (either may be empty).</summary>
    public static byte[] Concat(byte[] first, byte[] second) =>
        first.Length == 0 ? second : second.Length == 0 ? first : [.. first, .. second];

    private static bool StartsAHandshakeRecord(in ReadOnlySequence<byte> buffered)
    {
        ReadOnlySpan<byte> head = buffered.FirstSpan;
        if (head.Length < 2 && buffered.Length >= 2)
        {
            head = buffered.Slice(0, 2).ToArray();
        }

        return head[0] == HandshakeRecord && (head.Length < 2 || head[1] == 3);
    }
}
