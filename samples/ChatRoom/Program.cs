// A chat room: a line protocol served async, with per-connection state and broadcast to the other connections.
// Usage: ChatRoom [port]   (default 10002; 0 picks a free port). Try it with `nc 127.0.0.1 10002` in two terminals.
//
// The protocol: UTF-8 lines ending in \n (\r\n is accepted), one command or message each.
//   on connect            the server says  * welcome: choose a name with NICK <name>
//   NICK <name>           1 to 32 of A-Z a-z 0-9 _ -, unique ignoring case: the client gets  * you are <name>  and
//                         everyone else in the room  * <name> joined. Errors: ! bad name: ...,  ! name taken,
//                         ! you already have a name
//   <text>                every other member gets  <name>: <text>  (before NICK:  ! choose a name first)
//   /who                  * here: <name>, <name>, ...  (or  * nobody here)
//   /quit                 * bye, then the server closes; the others get  * <name> left, as on a disconnect
//   /<anything else>      ! unknown command
//   a line over 512 bytes ! line too long, then the server closes the connection
// A member that falls 256 lines behind (it does not read) is too slow: it leaves the room at once (the others get
// * <name> left), the server stops reading from it and queues  ! too slow  after what it still had to receive, then
// closes the connection. See README.md next to this file.
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using SocketServer;

int port = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10002;
var room = new ChatRoom();
using var server = new TcpServer(new IPEndPoint(IPAddress.Loopback, port), () => new ChatHandler(room));
// Chat clients listen far more than they talk: the library's default idle timeout (130 s without a line) would cut
// off everyone who only reads. The other limits stay: among them MinSendRate, which aborts a connection whose client
// has stopped reading (a send stuck for over 5 s, or its size at 240 B/s), the last step of cutting off a slow member.
server.Limits.IdleTimeout = null;

// Ctrl-C and SIGTERM stop serving, and the program exits with 0: every connection is ended, and its handler sees the
// end of its input as if the client had left.
using var stop = new CancellationTokenSource();
void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    stop.Cancel();
}

using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
Console.WriteLine($"Chat room on tcp://{server.ServerAddress}");
await server.ServeAsync(stop.Token);
