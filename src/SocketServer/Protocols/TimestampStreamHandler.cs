namespace SocketServer.Protocols;

/// <summary>
/// The seed's timestamp server: reads one line and answers <c>[&lt;ctime&gt;] &lt;line&gt;</c>, then the connection
/// ends.
/// </summary>
public class TimestampStreamHandler : StreamRequestHandler
{
    /// <summary>Reads one line and writes it back behind the current time.</summary>
    protected override void Handle()
    {
        byte[] line = RFile.ReadLine();
        WFile.Write(TimestampReply.Build(line));
    }
}
