namespace SocketServer.Cli.Tests.Infrastructure;

/// <summary>The built CLI, started as <c>dotnet SocketServer.Cli.dll ...</c>, as a user would run it.</summary>
internal sealed class CliProcess : IDisposable
{
    private readonly ChildProcess _process;

    private CliProcess(ChildProcess process)
    {
        _process = process;
    }

    public ChildProcess Process => _process;

    /// <summary>The CLI's main assembly, copied beside the tests by the project reference.</summary>
    public static string DllPath
    {
        get
        {
            string path = typeof(ServeCommand).Assembly.Location;
            Assert.True(File.Exists(path), $"The CLI was not built: {path}");
            string runtimeConfig = Path.ChangeExtension(path, ".runtimeconfig.json");
            Assert.True(File.Exists(runtimeConfig), $"The CLI's runtime config is missing: {runtimeConfig}");
            return path;
        }
    }

    /// <summary>The dotnet host running these tests, or the one on PATH.</summary>
    public static string DotnetHost =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    public static CliProcess Start(params string[] arguments) =>
        new(ChildProcess.Start(DotnetHost, [DllPath, .. arguments]));

    /// <summary>Runs the CLI to its end: for the error cases, which exit by themselves.</summary>
    public static ToolRun Run(params string[] arguments) => ToolRun.Run(DotnetHost, [DllPath, .. arguments]);

    /// <summary>Runs the CLI to its end with <paramref name="input"/> on standard input (then closed) and extra environment variables.</summary>
    public static ToolRun RunWith(string? input, IReadOnlyDictionary<string, string>? environment, params string[] arguments) =>
        ToolRun.Run(DotnetHost, [DllPath, .. arguments], input, environment);

    /// <summary>Starts the CLI with extra environment variables.</summary>
    public static CliProcess Start(IReadOnlyDictionary<string, string> environment, params string[] arguments) =>
        new(ChildProcess.Start(DotnetHost, [DllPath, .. arguments], environment));

    /// <summary>Starts another program that runs the CLI in its own process (systemd-socket-activate execs it).</summary>
    public static CliProcess StartTool(string fileName, IEnumerable<string> arguments) => new(ChildProcess.Start(fileName, arguments));

    /// <summary>Waits for <paramref name="count"/> ready lines and parses them.</summary>
    public IReadOnlyList<ReadyAddress> WaitUntilListening(int count = 1)
    {
        string stdout = _process.WaitForStdout(output => ReadyLines(output).Count >= count);
        List<string> lines = ReadyLines(stdout);
        Assert.True(lines.Count >= count, $"Expected {count} ready lines. stdout: '{stdout}' stderr: '{_process.Stderr}'");
        return [.. lines.Select(ReadyAddress.Parse)];
    }

    /// <summary>Sends <paramref name="signal"/> and returns the exit code.</summary>
    public int Stop(int signal = Signals.SIGTERM)
    {
        _process.Signal(signal);
        return _process.WaitForExit();
    }

    public void Dispose() => _process.Dispose();

    // Only complete lines count: a line is ready once its newline has arrived.
    private static List<string> ReadyLines(string stdout)
    {
        int end = stdout.LastIndexOf('\n');
        return end < 0
            ? []
            : [.. stdout[..end].Split('\n').Select(static l => l.TrimEnd('\r')).Where(static l => l.StartsWith(ReadyAddress.Prefix, StringComparison.Ordinal))];
    }
}
