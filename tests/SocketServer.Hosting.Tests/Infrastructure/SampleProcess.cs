using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading.Channels;

namespace SocketServer.Hosting.Tests.Infrastructure;

/// <summary>
/// A sample run as its users run it, <c>dotnet &lt;dll&gt;</c>, its output read line by line. Every wait is bounded;
/// disposing kills the process (by its own handle) if it is still running.
/// </summary>
internal sealed class SampleProcess : IDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly List<string> _output = [];
    private readonly StringBuilder _error = new();

    private SampleProcess(Process process)
    {
        _process = process;
    }

    public IReadOnlyList<string> Output
    {
        get
        {
            lock (_output)
            {
                return [.. _output];
            }
        }
    }

    public string Error
    {
        get
        {
            lock (_error)
            {
                return _error.ToString();
            }
        }
    }

    /// <summary>Starts the sample <paramref name="name"/>, built beside this test project (it references the sample).</summary>
    public static SampleProcess Start(string name, params string[] arguments)
    {
        var startInfo = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        startInfo.ArgumentList.Add(Dll(name));
        foreach (string argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = startInfo };
        var sample = new SampleProcess(process);
        process.OutputDataReceived += (_, e) => sample.OnOutput(e.Data);
        process.ErrorDataReceived += (_, e) => sample.OnError(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return sample;
    }

    /// <summary>Waits for an output line that <paramref name="match"/> accepts and returns it.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match)
    {
        using var cts = new CancellationTokenSource(TestTimeouts.Long);
        try
        {
            await foreach (string line in _lines.Reader.ReadAllAsync(cts.Token))
            {
                if (match(line))
                {
                    return line;
                }
            }
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            Assert.Fail($"No matching line within {TestTimeouts.Long}.{Describe()}");
        }

        Assert.Fail($"The process closed its output without a matching line.{Describe()}");
        return "";
    }

    /// <summary>Waits for the process to exit (and its output to end) and returns the exit code.</summary>
    public async Task<int> WaitForExitAsync()
    {
        using var cts = new CancellationTokenSource(TestTimeouts.Long);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            Assert.Fail($"The process did not exit within {TestTimeouts.Long}.{Describe()}");
        }

        return _process.ExitCode;
    }

    /// <summary>Sends SIGTERM with <c>kill -TERM &lt;pid&gt;</c>, to this process only.</summary>
    public async Task TerminateAsync()
    {
        Assert.False(OperatingSystem.IsWindows(), "signals need a Unix system.");
        var kill = new ProcessStartInfo("kill") { UseShellExecute = false };
        kill.ArgumentList.Add("-TERM");
        kill.ArgumentList.Add(_process.Id.ToString(CultureInfo.InvariantCulture));
        using Process killer = Process.Start(kill)!;
        using var cts = new CancellationTokenSource(TestTimeouts.Long);
        await killer.WaitForExitAsync(cts.Token);
        Assert.Equal(0, killer.ExitCode);
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
            // It exited between the check and the kill.
        }

        _process.Dispose();
    }

    /// <summary>
    /// The sample's assembly: the test project references the sample, so both are built with the same configuration
    /// and framework, and its output lies at the same place under its own project folder.
    /// </summary>
    private static string Dll(string name)
    {
        string root = RepositoryRoot();
        string testProject = Path.Combine(root, "tests", "SocketServer.Hosting.Tests");
        string suffix = Path.GetRelativePath(testProject, AppContext.BaseDirectory);
        string dll = Path.Combine(root, "samples", name, suffix, name + ".dll");
        Assert.True(File.Exists(dll), $"The sample {name} was not built at {dll}.");
        return dll;
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "SocketServer.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"SocketServer.slnx not found above {AppContext.BaseDirectory}.");
    }

    /// <summary>The <c>dotnet</c> running this test, so the sample runs on the same runtime.</summary>
    private static string DotnetHost()
    {
        string executable = RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? "dotnet.exe" : "dotnet";
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath))
        {
            return hostPath;
        }

        string candidate = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", "..", executable));
        return File.Exists(candidate) ? candidate : executable;
    }

    private string Describe() =>
        $"{Environment.NewLine}stdout:{Environment.NewLine}{string.Join(Environment.NewLine, Output)}" +
        $"{Environment.NewLine}stderr:{Environment.NewLine}{Error}";

    private void OnOutput(string? line)
    {
        if (line is null)
        {
            _lines.Writer.TryComplete();
            return;
        }

        lock (_output)
        {
            _output.Add(line);
        }

        _lines.Writer.TryWrite(line);
    }

    private void OnError(string? line)
    {
        if (line is not null)
        {
            lock (_error)
            {
                _error.AppendLine(line);
            }
        }
    }
}
