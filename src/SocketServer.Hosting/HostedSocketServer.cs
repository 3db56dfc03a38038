namespace SocketServer.Hosting;

/// <summary>One endpoint of a hosted server, bound and serving: an entry of <see cref="HostedSocketServers"/>.</summary>
public sealed class HostedSocketServer
{
    internal HostedSocketServer(string name, string address, SocketServerMode mode, BaseServer server)
    {
        Name = name;
        Address = address;
        Mode = mode;
        Server = server;
    }

    /// <summary>The name the server was added with (<c>AddSocketServer</c>), which several endpoints share.</summary>
    public string Name { get; }

    /// <summary>
    /// The address bound, as the <c>socketserver</c> command writes it (a port of 0 resolved): <c>tcp://127.0.0.1:43123</c>,
    /// <c>udp://[::1]:53</c>, <c>unix:/run/echo.sock</c>, <c>unix-dgram:/run/echo.sock</c>; with TLS <c>tls://HOST:PORT</c>
    /// or <c>unix+tls:PATH</c>.
    /// </summary>
    public string Address { get; }

    /// <summary>How it serves its requests.</summary>
    public SocketServerMode Mode { get; }

    /// <summary>The library's server for the endpoint; the host owns it (it drains and closes it when the host stops).</summary>
    public BaseServer Server { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} {Address}";
}
