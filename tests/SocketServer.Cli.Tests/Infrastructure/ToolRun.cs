namespace SocketServer.Cli.Tests.Infrastructure;

/// <summary>The result of running a process to its end, with a bounded wait.</summary>
internal sealed record ToolRun(int ExitCode, string Stdout, string Stderr)
{
    public static ToolRun Run(string fileName, IEnumerable<string> arguments, string? input = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        using ChildProcess process = ChildProcess.Start(fileName, arguments, environment);
        if (input is not null)
        {
            process.Write(input);
        }

        process.CloseInput();
        int exitCode = process.WaitForExit();
        return new ToolRun(exitCode, process.Stdout, process.Stderr);
    }
}
