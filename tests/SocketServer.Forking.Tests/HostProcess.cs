using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace SocketServer.Forking.Tests;

/// <summary>Runs the ForkingHost program as a parent server and reads what it prints.</summary>
internal sealed partial class HostProcess : IDisposable
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly Process _process;
    private readonly BlockingCollection<string> _lines = [];
    private readonly List<string> _seen = [];

    public HostProcess(params string[] arguments)
        : this(null, arguments)
    {
    }

    public HostProcess(IDictionary<string, string>? environment, params string[] arguments)
    {
        var startInfo = HostStartInfo(arguments);
        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[name] = value;
        }

        startInfo.RedirectStandardOutput = true;
        startInfo.RedirectStandardInput = true;
        _process = Process.Start(startInfo)!;
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                _lines.CompleteAdding();
            }
            else
            {
                _lines.Add(e.Data);
            }
        };
        _process.BeginOutputReadLine();
        Address = ListeningPattern().Match(WaitForLine(l => l.StartsWith("listening on ", StringComparison.Ordinal))).Groups[1].Value;
    }

    public string Address { get; }

    public int Pid => _process.Id;

    public static ProcessStartInfo HostStartInfo(params string[] arguments)
    {
        var startInfo = new ProcessStartInfo("dotnet") { UseShellExecute = false };
        startInfo.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "SocketServer.ForkingHost.dll"));
        foreach (string argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        return startInfo;
    }

    /// <summary>Waits (bounded) for a line that matches, remembering every line read on the way.</summary>
    public string WaitForLine(Func<string, bool> match)
    {
        foreach (string seen in _seen.Where(match))
        {
            _seen.Remove(seen);
            return seen;
        }

        var cancel = new CancellationTokenSource(Deadline);
        try
        {
            while (true)
            {
                string line = _lines.Take(cancel.Token);
                if (match(line))
                {
                    return line;
                }

                _seen.Add(line);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or InvalidOperationException)
        {
            throw new Xunit.Sdk.XunitException($"The host never printed the expected line. It printed:\n{string.Join('\n', _seen)}");
        }
    }

    /// <summary>Asks the parent to shut down and close (waiting for its workers), and returns what it reported.</summary>
    public (int ExitCode, string Closed) Close()
    {
        _process.StandardInput.WriteLine("close");
        _process.StandardInput.Flush();
        string closed = WaitForLine(l => l.StartsWith("closed", StringComparison.Ordinal));
        Assert.True(_process.WaitForExit(Deadline), "the host did not exit");
        return (_process.ExitCode, closed);
    }

    /// <summary>
    /// The lines printed that no <see cref="WaitForLine"/> took. After <see cref="Close"/> that is the rest of the
    /// output: the parent reaps its workers before it prints its last line.
    /// </summary>
    public IReadOnlyList<string> UntakenLines() => [.. _seen];

    /// <summary>Kills the parent alone with SIGKILL (not its workers, unlike <see cref="Dispose"/>) and waits for it.</summary>
    public void KillParentOnly()
    {
        _process.Kill(entireProcessTree: false);
        Assert.True(_process.WaitForExit(Deadline), "the host did not die of SIGKILL");
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(Deadline);
        }

        _process.Dispose();
    }

    [GeneratedRegex("^listening on (.+)$")]
    private static partial Regex ListeningPattern();
}
