using System.Net.Sockets;
using System.Text;

namespace SocketServer.Internal.Health;

/// <summary>Writes the agent's one line (<see cref="AgentCheckServer.AgentReply"/>); the server then closes the connection.</summary>
internal sealed class AgentCheckHandler : BaseRequestHandler
{
    protected override void Handle()
    {
        var agent = (AgentCheckServer)Server;
        var connection = (Socket)Request;
        try
        {
            connection.Send(Encoding.ASCII.GetBytes(AgentCheckServer.AgentReply(agent.ReportedState)));
            // What an agent-send put in already is read, so that closing does not turn into a reset that could
            // discard the answer before HAProxy reads it.
            if (connection.Available > 0)
            {
                connection.Receive(new byte[connection.Available]);
            }
        }
        catch (SocketException e) when (SocketErrors.IsPeerGone(e))
        {
            // The checker went away first: nothing to answer.
        }
    }
}
