namespace SocketServer.Cli.Tests.Bench;

/// <summary>A broken echo: every chunk comes back with its first byte flipped.</summary>
internal sealed class CorruptingEchoHandler : StreamRequestHandler
{
    protected override void Handle()
    {
        byte[] buffer = new byte[SocketReader.DefaultBufferSize];
        int read;
        while ((read = RFile.Read(buffer)) > 0)
        {
            buffer[0] ^= 0xFF;
            WFile.Write(buffer, 0, read);
        }
    }
}
