using System.CommandLine;
using System.CommandLine.Help;
using SocketServer.Cli;
using SocketServer.Cli.Bench;

// Named here, not after the executable: the assembly is SocketServer.Cli, the command users type is socketserver.
Command root = new("socketserver", "Serve simple protocols with the SocketServer library, and load echo servers.")
{
    new HelpOption(),
    new VersionOption(),
    ServeCommand.Create(),
    BenchCommand.Create(),
};

// No response files: "@name" is an abstract Unix socket (--unix @name), not a file of arguments.
return root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null }).Invoke();
