namespace SocketServer.Protocols;

/// <summary>The echo protocol (RFC 862) on a stream: every byte received is sent back, until the client closes.</summary>
public class EchoStreamHandler : StreamRequestHandler
{
    /// <summary>Copies <see cref="StreamRequestHandler.RFile"/> to <see cref="StreamRequestHandler.WFile"/> until the end of the stream.</summary>
    protected override void Handle()
    {
        byte[] buffer = new byte[SocketReader.DefaultBufferSize];
        int read;
        while ((read = RFile.Read(buffer)) > 0)
        {
            WFile.Write(buffer, 0, read);
        }
    }
}
