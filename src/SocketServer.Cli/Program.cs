using System.CommandLine;
using SocketServer.Cli;

RootCommand root = new("Serve simple protocols with the SocketServer library.")
{
    ServeCommand.Create(),
};
return root.Parse(args).Invoke();
