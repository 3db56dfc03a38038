using System.Diagnostics;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace SocketServer.Internal.Forking;

internal sealed partial class ProcessDispatcher
{
    private static readonly TimeSpan s_startDeadline = TimeSpan.FromSeconds(30);
    private Socket? _controlListener;
    private string? _controlDirectory;
    private string? _token;

    // Workers started but not yet connected, with when they were started.
    private readonly List<(Process Process, long StartedAt)> _starting = [];

    /// <summary>
    /// Returns a connected idle worker for a request: one that finishes starting, or a new one. Waits for a worker
    /// already starting rather than starting another.
    /// </summary>
    private ChildWorker Spawn(BaseServer server, IForkingServer settings)
    {
        if (_starting.Count == 0)
        {
            StartWorker(settings);
        }

        while (true)
        {
            if (AcceptStartedWorkers(server, settings, wait: true) is { } worker)
            {
                return worker;
            }

            if (_starting.Count == 0)
            {
                // Every starting worker failed; try once more with a fresh one, whose failure then propagates.
                StartWorker(settings);
                return AcceptStartedWorkers(server, settings, wait: true)
                    ?? throw new InvalidOperationException("A worker process could not be started; see the reported failures.");
            }
        }
    }

    /// <summary>Starts a worker (this program again, or <see cref="IForkingServer.WorkerStartInfo"/>) without waiting for it.</summary>
    private void StartWorker(IForkingServer settings)
    {
        EnsureControlListener();
        ProcessStartInfo startInfo = settings.WorkerStartInfo?.Invoke() ?? WorkerCommand.ForThisProgram();
        startInfo.UseShellExecute = false;
        // This program again builds the same servers in the same order, so the ordinal finds the twin; another
        // program's first forking server is the worker's.
        int ordinal = settings.WorkerStartInfo is null ? _ordinal : 0;
        startInfo.Environment[WorkerEnvironment.VariableName] =
            new WorkerEnvironment(ordinal, Path.Combine(_controlDirectory!, "control.sock"), _token!).Encode();
        Process process = Process.Start(startInfo)
            ?? throw new InvalidOperationException($"Could not start a worker process ({startInfo.FileName}).");
        _everSpawned = true;
        _starting.Add((process, Stopwatch.GetTimestamp()));
    }

    /// <summary>
    /// Takes the channels of started workers that have connected; drops (and reports) ones that died or took too
    /// long. With <paramref name="wait"/>, waits until one connects or none is left starting.
    /// </summary>
    /// <returns>A newly connected worker, or null.</returns>
    private ChildWorker? AcceptStartedWorkers(BaseServer server, IForkingServer settings, bool wait)
    {
        ChildWorker? connected = null;
        byte[] hello = new byte[256];
        while (_starting.Count > 0)
        {
            // Short polls so a worker that dies during start-up is noticed at once.
            if (_controlListener!.Poll(wait && connected is null ? 50_000 : 0, SelectMode.SelectRead))
            {
                Socket channel = _controlListener.Accept();
                channel.ReceiveTimeout = (int)s_startDeadline.TotalMilliseconds;
                int read = channel.Receive(hello);
                (int pid, string token) = ChannelMessages.ReadHello(hello.AsSpan(0, read));
                channel.ReceiveTimeout = 0;
                int index = token == _token ? _starting.FindIndex(s => s.Process.Id == pid) : -1;
                if (index < 0)
                {
                    // A stranger, or a late worker from a failed start: not ours to serve.
                    channel.Dispose();
                    continue;
                }

                Process process = _starting[index].Process;
                _starting.RemoveAt(index);
                channel.Send(ChannelMessages.Welcome(server.ServerAddress));
                var worker = new ChildWorker(process, channel);
                _workers.Add(worker);
                _liveWorkers = [.. _workers];
                connected ??= worker;
                continue;
            }

            DropFailedStarts(settings);
            if (!wait || connected is not null)
            {
                break;
            }
        }

        return connected;
    }

    private void DropFailedStarts(IForkingServer settings)
    {
        long now = Stopwatch.GetTimestamp();
        for (int i = _starting.Count - 1; i >= 0; i--)
        {
            (Process process, long startedAt) = _starting[i];
            bool exited = process.HasExited;
            if (!exited && Stopwatch.GetElapsedTime(startedAt, now) < s_startDeadline)
            {
                continue;
            }

            _starting.RemoveAt(i);
            if (!exited)
            {
                process.Kill();
                process.WaitForExit();
            }

            settings.ReportChildFailure(new ChildProcessFailure(
                process.Id,
                process.ExitCode,
                null,
                exited
                    ? "exited before it connected (does the program build its forking servers in the same order on every run?)"
                    : $"did not connect within {s_startDeadline.TotalSeconds} s and was killed"));
            process.Dispose();
        }
    }

    private void EnsureControlListener()
    {
        if (_controlListener is not null)
        {
            return;
        }

        // A private directory (mode 0700) keeps other users off the control socket; the token keeps out strangers.
        _controlDirectory = Directory.CreateTempSubdirectory("socketserver-fork-").FullName;
        if (OperatingSystem.IsLinux())
        {
            File.SetUnixFileMode(_controlDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        _token = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var listener = new Socket(AddressFamily.Unix, SocketType.Seqpacket, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(Path.Combine(_controlDirectory, "control.sock")));
        listener.Listen();
        _controlListener = listener;
    }

    private void CloseControlListener()
    {
        foreach ((Process process, _) in _starting)
        {
            // Started for requests that will never come; they would exit at the first read of a closed channel.
            process.Kill();
            process.Dispose();
        }

        _starting.Clear();
        _controlListener?.Dispose();
        _controlListener = null;
        if (_controlDirectory is not null)
        {
            try
            {
                Directory.Delete(_controlDirectory, recursive: true);
            }
            catch (IOException)
            {
            }

            _controlDirectory = null;
        }
    }
}
