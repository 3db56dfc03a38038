namespace SocketServer.Cli.Bench;

/// <summary>What idle mode saw of its connections.</summary>
/// <param name="Opened">Connections opened whose first round trip was verified.</param>
/// <param name="Open">Of those, the ones still open when the run ended.</param>
internal sealed record IdleReport(int Opened, int Open);
