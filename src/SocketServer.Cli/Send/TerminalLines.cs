using System.Text;

namespace SocketServer.Cli.Send;

/// <summary>
/// Lines typed at a terminal: a <c>&gt; </c> prompt on standard error (standard output carries only the replies), one
/// line per Enter, until Ctrl-D.
/// </summary>
/// <param name="prompt">Where the prompt goes: standard error.</param>
internal sealed class TerminalLines(TextWriter prompt) : LineSource
{
    /// <inheritdoc/>
    public override bool IsInteractive => true;

    /// <inheritdoc/>
    public override async ValueTask<byte[]?> NextAsync(CancellationToken cancellationToken)
    {
        prompt.Write("> ");
        prompt.Flush();
        // Console.ReadLine blocks and cannot be cancelled; a signal ends the wait and the process, which ends the read.
        string? text = await Task.Run(Console.ReadLine, CancellationToken.None).WaitAsync(cancellationToken).ConfigureAwait(false);
        if (text is null)
        {
            // Ctrl-D: end the prompt's line, so that what follows starts on a line of its own.
            prompt.WriteLine();
            prompt.Flush();
            return null;
        }

        return Encoding.UTF8.GetBytes(text + "\n");
    }
}
