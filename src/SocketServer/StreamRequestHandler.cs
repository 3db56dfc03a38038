using System.Net.Sockets;
using SocketServer.Internal;

namespace SocketServer;

/// <summary>
/// A handler for stream servers with file-like <see cref="RFile"/> and <see cref="WFile"/> streams over the
/// connection; Python's <c>socketserver.StreamRequestHandler</c>.
/// </summary>
/// <remarks>
/// <see cref="WFile"/> is unbuffered by default: every write is sent in full at once. Disposing either stream
/// never closes the connection; the server does that after <see cref="Finish"/>.
/// </remarks>
public partial class StreamRequestHandler : BaseRequestHandler
{
    /// <summary>The read-ahead buffer of <see cref="RFile"/>: -1 (the default) for 8192 bytes, 0 for none.</summary>
    /// <remarks>May be overridden or set before the request is served (for example in the factory).</remarks>
    public virtual int RBufSize { get; set; } = -1;

    /// <summary>
    /// The write buffer of <see cref="WFile"/>: 0 (the default) for none, so every write is sent at once; any other
    /// value buffers writes until a flush or <see cref="Finish"/> (negative for 8192 bytes).
    /// </summary>
    /// <remarks>May be overridden or set before the request is served.</remarks>
    public virtual int WBufSize { get; set; }

    /// <summary>
    /// A limit for each blocking read and write on the connection; <see langword="null"/> (the default) for none.
    /// A read or write that takes longer throws <see cref="IOException"/>, which reaches
    /// <see cref="BaseServer.HandleError"/>.
    /// </summary>
    /// <remarks>May be overridden or set before the request is served.</remarks>
    public virtual TimeSpan? Timeout { get; set; }

    /// <summary>Whether to set TCP_NODELAY on the connection; <see langword="false"/> by default.</summary>
    /// <remarks>May be overridden. Worth it mostly with a <see cref="WBufSize"/> other than 0.</remarks>
    public virtual bool DisableNagleAlgorithm { get; set; }

    /// <summary>The connected socket: the same object as <see cref="BaseRequestHandler.Request"/>.</summary>
    public Socket Connection { get; private set; } = null!;

    /// <summary>The stream to read the client's bytes from; see <see cref="SocketReader.ReadLine"/>.</summary>
    public SocketReader RFile { get; private set; } = null!;

    /// <summary>The stream to write to the client: a <see cref="SocketWriter"/>, or a buffered stream over one.</summary>
    public Stream WFile { get; private set; } = null!;

    /// <summary>
    /// Applies <see cref="Timeout"/> and <see cref="DisableNagleAlgorithm"/>, runs the TLS handshake when the server
    /// has <see cref="TcpServer.Tls"/>, then creates <see cref="RFile"/> and <see cref="WFile"/>.
    /// </summary>
    /// <exception cref="TlsHandshakeException">The TLS handshake failed or timed out.</exception>
    /// <exception cref="InvalidOperationException">The request is not a connected <see cref="Socket"/>.</exception>
    protected override void Setup()
    {
        Connection = Request as Socket
            ?? throw new InvalidOperationException($"StreamRequestHandler needs a socket request, not {Request.GetType().Name}; use DatagramRequestHandler on datagram servers.");
        if (Timeout is { } timeout)
        {
            int milliseconds = (int)Math.Clamp(Math.Ceiling(timeout.TotalMilliseconds), 1, int.MaxValue);
            Connection.ReceiveTimeout = milliseconds;
            Connection.SendTimeout = milliseconds;
        }

        if (DisableNagleAlgorithm && Connection.ProtocolType == ProtocolType.Tcp)
        {
            Connection.NoDelay = true;
        }

        SetupTls();
        CreateFiles();
    }

    /// <summary>Creates <see cref="RFile"/> and <see cref="WFile"/> over the socket, or over <see cref="TlsStream"/> when there is one.</summary>
    private void CreateFiles()
    {
        // The server's limits reach the connection through its streams (null state: no limits, Python's behaviour).
        Internal.Limits.ConnectionState? limits = Server.FindConnection(RequestKey);
        Internal.Diagnostics.TrafficTotals traffic = Server.Diagnostics.Traffic;
        RFile = new SocketReader(Connection, TlsStream, RBufSize) { MaxLineLength = Server.Limits.MaxLineLength, State = limits, Traffic = traffic };
        var writer = new SocketWriter(Connection, TlsStream) { State = limits, Traffic = traffic };
        WFile = WBufSize == 0 ? writer : new BufferedStream(writer, WBufSize < 0 ? SocketReader.DefaultBufferSize : WBufSize);
    }

    /// <summary>
    /// Flushes <see cref="WFile"/> (ignoring a client that already went away), then disposes both streams; with TLS,
    /// sends close_notify and disposes <see cref="TlsStream"/>.
    /// </summary>
    protected override void Finish()
    {
        if (WFile.CanWrite)
        {
            try
            {
                WFile.Flush();
            }
            catch (Exception e) when (SocketErrors.IsSocketLevel(e))
            {
                // The client may have reset or aborted the connection; there is no one left to tell.
            }
        }

        try
        {
            WFile.Dispose();
        }
        catch (Exception e) when (SocketErrors.IsSocketLevel(e))
        {
        }

        RFile.Dispose();
        FinishTls();
    }
}
