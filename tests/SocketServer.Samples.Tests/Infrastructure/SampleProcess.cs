using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading.Channels;

namespace SocketServer.Samples.Tests.Infrastructure;

/// <summary>
/// A sample program run as a child process with <c>dotnet &lt;dll&gt;</c>, its standard input, output and error
/// redirected. Every wait is bounded; disposing kills the process if it is still running (by its own handle).
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

    public int Id => _process.Id;

    public StreamWriter StandardInput => _process.StandardInput;

    /// <summary>Every line written to standard output so far.</summary>
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

    public static SampleProcess Start(string sampleName, params string[] arguments)
    {
        var startInfo = new ProcessStartInfo(SamplePaths.DotnetHost)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        startInfo.ArgumentList.Add(SamplePaths.Dll(sampleName));
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
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
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
            Assert.Fail($"No matching line within {timeout}.{Describe()}");
        }

        Assert.Fail($"The process closed its output without a matching line.{Describe()}");
        return "";
    }

    /// <summary>Waits for the process to exit (and its output to end) and returns the exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            Assert.Fail($"The process did not exit within {timeout}.{Describe()}");
        }

        return _process.ExitCode;
    }

    /// <summary>Sends SIGTERM with <c>kill -TERM &lt;pid&gt;</c>, to this process only.</summary>
    public Task TerminateAsync(TimeSpan timeout) => SignalAsync("TERM", timeout);

    /// <summary>Sends a signal (<c>TERM</c>, <c>INT</c>) with <c>kill -NAME &lt;pid&gt;</c>, to this process only.</summary>
    public async Task SignalAsync(string signal, TimeSpan timeout)
    {
        Assert.False(RuntimeInformation.IsOSPlatform(OSPlatform.Windows), "signals need a Unix system.");
        var kill = new ProcessStartInfo("kill") { UseShellExecute = false };
        kill.ArgumentList.Add("-" + signal);
        kill.ArgumentList.Add(Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using Process killer = Process.Start(kill)!;
        using var cts = new CancellationTokenSource(timeout);
        await killer.WaitForExitAsync(cts.Token);
        Assert.Equal(0, killer.ExitCode);
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
            // It exited between the check and the kill.
        }

        _process.Dispose();
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
