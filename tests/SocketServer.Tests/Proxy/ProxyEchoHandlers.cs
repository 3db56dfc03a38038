using System.Buffers;
using System.Text;

namespace SocketServer.Tests.Proxy;

/// <summary>Answers each line with what the handler knows of its client: <c>client|proxy|authority|line</c>.</summary>
internal sealed class ProxyEchoHandler : StreamRequestHandler
{
    public static string Describe(BaseRequestHandler handler, string line) =>
        $"{handler.ClientAddress}|{handler.ProxyHeader?.ProxyAddress}|{handler.ProxyHeader?.Authority}|{line}\n";

    protected override void Handle()
    {
        byte[] line;
        while ((line = RFile.ReadLine()).Length > 0)
        {
            WFile.Write(Encoding.UTF8.GetBytes(Describe(this, Encoding.UTF8.GetString(line).TrimEnd('\n'))));
        }
    }
}

/// <summary>The async twin of <see cref="ProxyEchoHandler"/>.</summary>
internal sealed class AsyncProxyEchoHandler : AsyncStreamRequestHandler
{
    protected override async ValueTask HandleAsync()
    {
        while (await ReadLineAsync() is { } line)
        {
            string text = Encoding.UTF8.GetString(line.ToArray()).TrimEnd('\n');
            Output.Write(Encoding.UTF8.GetBytes(ProxyEchoHandler.Describe(this, text)));
            await Output.FlushAsync();
        }
    }
}
