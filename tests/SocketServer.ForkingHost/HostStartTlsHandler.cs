using System.Buffers;
using System.Text;

namespace SocketServer.ForkingHost;

/// <summary>
/// An async STARTTLS conversation in a forking worker: a greeting, <c>STARTTLS</c> ("220 go ahead", then
/// <see cref="AsyncStreamRequestHandler.StartTlsAsync"/>), <c>QUIT</c>; any other line comes back marked plain or
/// tls, with the worker's process id.
/// </summary>
internal sealed class HostStartTlsHandler : AsyncStreamRequestHandler
{
    protected override async ValueTask HandleAsync()
    {
        await Send("220 forking host");
        while (await ReadLineAsync() is { } line)
        {
            string text = Encoding.UTF8.GetString(line.ToArray()).TrimEnd('\r', '\n');
            if (text == "STARTTLS")
            {
                Output.Write("220 go ahead\r\n"u8);
                await StartTlsAsync();
            }
            else if (text == "QUIT")
            {
                await Send("221 bye");
                return;
            }
            else
            {
                await Send($"250 {(IsTls ? "tls" : "plain")} pid={Environment.ProcessId}: {text}");
            }
        }
    }

    private async ValueTask Send(string reply) => await Output.WriteAsync(Encoding.UTF8.GetBytes(reply + "\r\n"));
}
