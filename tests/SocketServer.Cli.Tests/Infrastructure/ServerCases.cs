namespace SocketServer.Cli.Tests.Infrastructure;

/// <summary>The acceptance matrix: every listener kind in every mode.</summary>
internal static class ServerCases
{
    public static readonly string[] Kinds = ["tcp", "udp", "unix", "unix-dgram"];

    public static readonly string[] Modes = ["sync", "threading", "forking", "async"];

    public static TheoryData<string, string> KindsAndModes()
    {
        var data = new TheoryData<string, string>();
        foreach (string kind in Kinds)
        {
            foreach (string mode in Modes)
            {
                data.Add(kind, mode);
            }
        }

        return data;
    }

    public static bool IsDatagram(string kind) => kind is "udp" or "unix-dgram";

    /// <summary>The listener option for <paramref name="kind"/>: a free loopback port, or a new path in <paramref name="directory"/>.</summary>
    public static string[] ListenerArguments(string kind, TempDirectory directory) => kind switch
    {
        "tcp" or "udp" => [$"--{kind}", "127.0.0.1:0"],
        _ => [$"--{kind}", directory.NewPath("server")],
    };

    /// <summary>Starts <c>serve PROTOCOL</c> with one listener of <paramref name="kind"/> and waits until it is ready.</summary>
    public static (CliProcess Cli, ReadyAddress Address) StartServer(string protocol, string kind, string mode, TempDirectory directory)
    {
        CliProcess cli = CliProcess.Start(["serve", protocol, .. ListenerArguments(kind, directory), "--mode", mode]);
        try
        {
            ReadyAddress address = Assert.Single(cli.WaitUntilListening());
            Assert.Equal(kind, address.Scheme);
            return (cli, address);
        }
        catch
        {
            cli.Dispose();
            throw;
        }
    }
}
