using System.Diagnostics;

namespace SocketServer.Internal.Forking;

/// <summary>How to start this same program again, with the same arguments.</summary>
internal static class WorkerCommand
{
    public static ProcessStartInfo ForThisProgram()
    {
        string processPath = Environment.ProcessPath
            ?? throw new InvalidOperationException("The path of this program is unknown, so no worker process can be started; set WorkerStartInfo.");
        string[] arguments = Environment.GetCommandLineArgs();
        var startInfo = new ProcessStartInfo(processPath);
        bool viaDotnetHost = Path.GetFileNameWithoutExtension(processPath).Equals("dotnet", StringComparison.OrdinalIgnoreCase);
        if (viaDotnetHost)
        {
            // 'dotnet app.dll ...': the host needs the application's path again, which .NET reports as argument 0.
            startInfo.ArgumentList.Add(arguments[0]);
        }

        foreach (string argument in arguments.Skip(1))
        {
            startInfo.ArgumentList.Add(argument);
        }

        return startInfo;
    }
}
