namespace SocketServer.Cli.Send;

/// <summary>Where <c>send</c>'s lines come from: the arguments, standard input, or a person at a terminal.</summary>
internal abstract class LineSource
{
    /// <summary>Whether a person types the lines, one at a time, and reads each reply before the next prompt.</summary>
    public virtual bool IsInteractive => false;

    /// <summary>The next line, its <c>\n</c> included (added when it had none); null when there are no more.</summary>
    /// <param name="cancellationToken">Cancelled by SIGINT or SIGTERM.</param>
    /// <returns>The line's bytes, or null.</returns>
    public abstract ValueTask<byte[]?> NextAsync(CancellationToken cancellationToken);
}
