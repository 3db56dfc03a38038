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

    /// <summary>Starts a worker (this program again, or <see cref="IForkingServer.WorkerStartInfo"/>) and takes its channel.</summary>
    private ChildWorker Spawn(BaseServer server, IForkingServer settings)
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
        try
        {
            Socket channel = AcceptChannel(process);
            channel.Send(ChannelMessages.Welcome(server.ServerAddress));
            var worker = new ChildWorker(process, channel);
            _workers.Add(worker);
            return worker;
        }
        catch
        {
            try
            {
                process.Kill();
            }
            catch (InvalidOperationException)
            {
            }

            process.Dispose();
            throw;
        }
    }

    private Socket AcceptChannel(Process process)
    {
        long deadline = Stopwatch.GetTimestamp() + (long)(s_startDeadline.TotalSeconds * Stopwatch.Frequency);
        byte[] hello = new byte[256];
        while (Stopwatch.GetTimestamp() < deadline)
        {
            // Poll in short steps so a worker that dies during start-up is noticed at once.
            if (!_controlListener!.Poll(50_000, SelectMode.SelectRead))
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException(
                        $"The worker process {process.Id} exited with code {process.ExitCode} before it connected. " +
                        "Does the program build its forking servers in the same order on every run?");
                }

                continue;
            }

            Socket channel = _controlListener.Accept();
            channel.ReceiveTimeout = (int)s_startDeadline.TotalMilliseconds;
            int read = channel.Receive(hello);
            (int pid, string token) = ChannelMessages.ReadHello(hello.AsSpan(0, read));
            channel.ReceiveTimeout = 0;
            if (token == _token && pid == process.Id)
            {
                return channel;
            }

            // A stranger, or a late worker from a failed start: not ours to serve.
            channel.Dispose();
        }

        throw new TimeoutException($"The worker process {process.Id} did not connect within {s_startDeadline.TotalSeconds} s.");
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
