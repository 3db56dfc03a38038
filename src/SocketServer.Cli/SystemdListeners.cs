using System.Net.Sockets;

namespace SocketServer.Cli;

/// <summary><c>serve --systemd</c>: the sockets systemd passed, as listeners to serve.</summary>
internal static class SystemdListeners
{
    /// <summary>The <c>FileDescriptorName=</c> that makes a passed socket the agent-check listener.</summary>
    public const string AgentCheckName = "agent-check";

    /// <summary>
    /// Takes the passed sockets (<see cref="SystemdActivation.TakeListenSockets"/>) and puts a listener for each in
    /// front of <paramref name="listeners"/>, in descriptor order; returns the one named <c>agent-check</c>, if any.
    /// </summary>
    /// <param name="listeners">The listeners given as options; the passed ones go first.</param>
    /// <returns>The agent-check socket, or null.</returns>
    /// <exception cref="SystemdActivationException">The environment passes no usable socket; the message says why.</exception>
    public static Socket? Take(List<ListenerSpec> listeners)
    {
        Socket? agent = null;
        List<ListenerSpec> passed = [];
        foreach (SystemdSocket socket in SystemdActivation.TakeListenSockets())
        {
            if (socket.Name == AgentCheckName)
            {
                if (agent is not null || !socket.IsStream || socket.Socket.AddressFamily == AddressFamily.Unix)
                {
                    throw new SystemdActivationException($"descriptor {socket.FileDescriptor} is named {AgentCheckName}, but the agent check takes one TCP stream socket.");
                }

                agent = socket.Socket;
                continue;
            }

            passed.Add(ListenerSpec.ForSocket(socket.Socket));
        }

        if (passed.Count == 0 && listeners.Count == 0)
        {
            throw new SystemdActivationException($"systemd passed only the {AgentCheckName} socket: nothing to serve.");
        }

        listeners.InsertRange(0, passed);
        return agent;
    }
}
