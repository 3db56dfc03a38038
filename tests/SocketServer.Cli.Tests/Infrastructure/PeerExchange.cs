namespace SocketServer.Cli.Tests.Infrastructure;

/// <summary>Drives an interactive peer (nc, socat): writes a message to its input and waits until it prints the reply.</summary>
internal static class PeerExchange
{
    /// <summary>
    /// Writes <paramref name="message"/> and keeps the input open until <paramref name="expected"/> has been printed,
    /// so a datagram peer does not quit before the reply comes. Then closes the input: a stream peer exits by itself
    /// (its exit code is checked), a datagram peer never knows the exchange is over and is terminated.
    /// </summary>
    public static string Run(string tool, IEnumerable<string> arguments, string message, string expected, bool datagram)
    {
        using ChildProcess peer = ChildProcess.Start(tool, arguments);
        peer.Write(message);
        string output = peer.WaitForStdout(stdout => stdout.Contains(expected, StringComparison.Ordinal));
        peer.CloseInput();
        if (datagram)
        {
            peer.Terminate();
        }
        else
        {
            Assert.True(peer.WaitForExit() == 0, $"{tool} failed: {peer.Stderr}");
            output = peer.Stdout;
        }

        return output;
    }
}
