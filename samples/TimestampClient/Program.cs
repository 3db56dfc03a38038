// The seed tutorial's client for TimestampServer: each line typed is sent over a new connection and the
// server's answer is printed. An empty line or end of input stops it.
// Usage: TimestampClient [host] [port]   (default localhost 10001)
using System.Globalization;
using System.Net.Sockets;
using System.Text;

string host = args.Length > 0 ? args[0] : "localhost";
int port = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10001;

while (true)
{
    Console.Write("> ");
    string? data = Console.ReadLine();
    if (string.IsNullOrEmpty(data))
    {
        break;
    }

    // The server answers one line per connection, so every line needs a new connection.
    using var client = new TcpClient(host, port);
    NetworkStream stream = client.GetStream();
    stream.Write(Encoding.UTF8.GetBytes(data + "\r\n"));

    // The server closes the connection after its answer, so read until the end.
    using var reader = new StreamReader(stream, Encoding.UTF8);
    Console.WriteLine(reader.ReadToEnd().Trim());
}
