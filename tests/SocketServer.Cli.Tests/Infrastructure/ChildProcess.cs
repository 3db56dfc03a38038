using System.Diagnostics;
using System.Text;

namespace SocketServer.Cli.Tests.Infrastructure;

/// <summary>
/// A process this test started, with its standard output and error captured as they come. Every wait is bounded by
/// <see cref="TestTimeouts.Long"/>; <see cref="Dispose"/> kills the process (by its own id) if it still runs.
/// </summary>
internal sealed class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly object _gate = new();
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly Task _stdoutPump;
    private readonly Task _stderrPump;
    private bool _stdoutEnded;

    private ChildProcess(Process process)
    {
        _process = process;
        _stdoutPump = Pump(process.StandardOutput, _stdout, isStdout: true);
        _stderrPump = Pump(process.StandardError, _stderr, isStdout: false);
    }

    public int Id => _process.Id;

    public string Stdout
    {
        get
        {
            lock (_gate)
            {
                return _stdout.ToString();
            }
        }
    }

    public string Stderr
    {
        get
        {
            lock (_gate)
            {
                return _stderr.ToString();
            }
        }
    }

    public static ChildProcess Start(string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[name] = value;
        }

        return new ChildProcess(Process.Start(startInfo) ?? throw new InvalidOperationException($"Could not start {fileName}"));
    }

    public void Write(string text)
    {
        _process.StandardInput.Write(text);
        _process.StandardInput.Flush();
    }

    public void CloseInput()
    {
        try
        {
            _process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The process has already gone and the pipe is broken: its input is closed anyway.
        }
    }

    /// <summary>Waits until standard output satisfies <paramref name="done"/>, or ends; returns it either way.</summary>
    public string WaitForStdout(Func<string, bool> done)
    {
        long deadline = Environment.TickCount64 + (long)TestTimeouts.Long.TotalMilliseconds;
        lock (_gate)
        {
            while (!done(_stdout.ToString()) && !_stdoutEnded)
            {
                long remaining = deadline - Environment.TickCount64;
                if (remaining <= 0 || !Monitor.Wait(_gate, TimeSpan.FromMilliseconds(remaining)))
                {
                    Assert.Fail($"Timed out waiting for output. stdout: '{_stdout}' stderr: '{_stderr}'");
                }
            }

            return _stdout.ToString();
        }
    }

    /// <summary>Waits until standard error satisfies <paramref name="done"/>; fails the test after <see cref="TestTimeouts.Long"/>.</summary>
    public string WaitForStderr(Func<string, bool> done)
    {
        long deadline = Environment.TickCount64 + (long)TestTimeouts.Long.TotalMilliseconds;
        lock (_gate)
        {
            while (!done(_stderr.ToString()))
            {
                long remaining = deadline - Environment.TickCount64;
                if (remaining <= 0 || !Monitor.Wait(_gate, TimeSpan.FromMilliseconds(remaining)))
                {
                    Assert.Fail($"Timed out waiting for standard error. stdout: '{_stdout}' stderr: '{_stderr}'");
                }
            }

            return _stderr.ToString();
        }
    }

    /// <summary>Waits for the process to exit and its output to be read; returns the exit code.</summary>
    public int WaitForExit()
    {
        Assert.True(_process.WaitForExit(TestTimeouts.Long), $"Process {_process.Id} did not exit. stdout: '{Stdout}' stderr: '{Stderr}'");
        Assert.True(Task.WaitAll([_stdoutPump, _stderrPump], TestTimeouts.Long), "Output was not read to its end");
        return _process.ExitCode;
    }

    public void Signal(int signal) => Signals.Send(_process.Id, signal);

    /// <summary>Asks the process to end with SIGTERM (so a peer such as nc removes its temporary socket) and waits.</summary>
    public void Terminate()
    {
        if (!_process.HasExited)
        {
            Signal(Signals.SIGTERM);
        }

        WaitForExit();
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(TestTimeouts.Long);
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }

    private async Task Pump(StreamReader reader, StringBuilder sink, bool isStdout)
    {
        char[] buffer = new char[4096];
        int read;
        while ((read = await reader.ReadAsync(buffer).ConfigureAwait(false)) > 0)
        {
            lock (_gate)
            {
                sink.Append(buffer, 0, read);
                Monitor.PulseAll(_gate);
            }
        }

        lock (_gate)
        {
            if (isStdout)
            {
                _stdoutEnded = true;
            }

            Monitor.PulseAll(_gate);
        }
    }
}
