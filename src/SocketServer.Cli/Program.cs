using SocketServer.Cli;

return CliCommand.Run(args);
