using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SocketServer.Forking.Tests;

/// <summary>Clients for the host's line protocol, each bounded in time.</summary>
internal static class Peers
{
    private const int TimeoutMs = 60_000;

    public static EndPoint Parse(string kind, string address) =>
        kind.StartsWith("unix", StringComparison.Ordinal) ? new UnixDomainSocketEndPoint(address) : IPEndPoint.Parse(address);

    /// <summary>Sends one command and returns the whole reply (empty when the worker failed).</summary>
    public static string Ask(string kind, string address, string command, string? clientDirectory = null)
    {
        EndPoint endPoint = Parse(kind, address);
        bool datagram = kind is "udp" or "unix-dgram";
        var protocol = endPoint.AddressFamily == AddressFamily.Unix ? ProtocolType.Unspecified : datagram ? ProtocolType.Udp : ProtocolType.Tcp;
        using var socket = new Socket(endPoint.AddressFamily, datagram ? SocketType.Dgram : SocketType.Stream, protocol)
        {
            ReceiveTimeout = TimeoutMs,
            SendTimeout = TimeoutMs,
        };
        byte[] request = Encoding.ASCII.GetBytes(command + "\n");
        byte[] buffer = new byte[65536];
        if (datagram)
        {
            if (kind == "unix-dgram")
            {
                socket.Bind(new UnixDomainSocketEndPoint(Path.Combine(clientDirectory!, Guid.NewGuid().ToString("N")[..8])));
            }

            socket.SendTo(request, endPoint);
            return Encoding.ASCII.GetString(buffer, 0, socket.Receive(buffer));
        }

        socket.Connect(endPoint);
        socket.Send(request);
        var reply = new StringBuilder();
        try
        {
            int n;
            while ((n = socket.Receive(buffer)) > 0)
            {
                reply.Append(Encoding.ASCII.GetString(buffer, 0, n));
            }
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            // A worker that died mid-request may reset the connection; the reply is what came before.
        }

        return reply.ToString();
    }
}
