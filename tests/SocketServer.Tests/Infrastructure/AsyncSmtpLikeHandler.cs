using System.Buffers;
using System.Text;

namespace SocketServer.Tests.Infrastructure;

/// <summary>
/// A small SMTP-like async handler: a greeting, <c>EHLO</c> (offering STARTTLS), <c>STARTTLS</c> ("220 go ahead"
/// then <see cref="AsyncStreamRequestHandler.StartTlsAsync"/>), <c>INFO</c> (what TLS negotiated), <c>QUIT</c>;
/// any other line is echoed, marked plain or tls. Errors end the handler (the server reports them).
/// </summary>
internal sealed class AsyncSmtpLikeHandler : AsyncStreamRequestHandler
{
    protected override async ValueTask HandleAsync()
    {
        await Send("220 localhost ESMTP test");
        while (await ReadLineAsync() is { } line)
        {
            string text = Encoding.UTF8.GetString(line.ToArray()).TrimEnd('\r', '\n');
            if (text.StartsWith("EHLO", StringComparison.OrdinalIgnoreCase))
            {
                await Send("250-localhost\r\n250 STARTTLS");
            }
            else if (text == "STARTTLS")
            {
                // Written, not flushed: StartTlsAsync flushes the reply before it checks for injected plaintext.
                Output.Write("220 go ahead\r\n"u8);
                await StartTlsAsync();
            }
            else if (text == "INFO")
            {
                await Send(AsyncTlsInfoHandler.Describe(this));
            }
            else if (text == "QUIT")
            {
                await Send("221 bye");
                return;
            }
            else
            {
                await Send($"250 {(IsTls ? "tls" : "plain")}: {text}");
            }
        }
    }

    private async ValueTask Send(string reply) => await Output.WriteAsync(Encoding.UTF8.GetBytes(reply + "\r\n"));
}
