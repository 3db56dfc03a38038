using System.Text;

namespace SocketServer.Cli.Send;

/// <summary>The <c>LINE</c> arguments, each sent as UTF-8 with a <c>\n</c>.</summary>
/// <param name="lines">The arguments.</param>
internal sealed class ArgumentLines(IReadOnlyList<string> lines) : LineSource
{
    private int _next;

    /// <inheritdoc/>
    public override ValueTask<byte[]?> NextAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult(_next < lines.Count ? Encoding.UTF8.GetBytes(lines[_next++] + "\n") : null);
}
