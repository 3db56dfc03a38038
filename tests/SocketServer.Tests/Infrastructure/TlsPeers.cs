using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace SocketServer.Tests.Infrastructure;

/// <summary>Real TLS clients: <c>openssl s_client</c> and python3's ssl module (tests/peers/tls_client.py), each run to its end with a bounded wait.</summary>
internal static class TlsPeers
{
    private static readonly ConcurrentDictionary<string, string?> s_tools = new();

    public static string PythonClientPath => Path.Combine(AppContext.BaseDirectory, "peers", "tls_client.py");

    /// <summary>Returns the tool's path, or skips the test with the reason.</summary>
    public static string Require(string name)
    {
        string? path = s_tools.GetOrAdd(name, static n => Find(n));
        if (path is null)
        {
            Assert.Skip($"{name} is not installed (needed as a real TLS peer)");
        }

        return path!;
    }

    /// <summary>Runs <c>openssl s_client</c> against <paramref name="address"/>, sending <paramref name="input"/> and reading until the server closes.</summary>
    public static PeerRun OpenSsl(EndPoint address, string input, params string[] extra)
    {
        string openssl = Require("openssl");
        List<string> arguments = ["s_client", .. ConnectArguments(address), "-ign_eof", "-brief", .. extra];
        return Run(openssl, arguments, input);
    }

    /// <summary>Runs the python3 ssl client: it sends <paramref name="line"/> and prints what comes back until the server closes.</summary>
    public static PeerRun Python(EndPoint address, string line, params string[] extra)
    {
        string python = Require("python3");
        List<string> arguments = [PythonClientPath, .. AddressArguments(address), "--line", line, .. extra];
        return Run(python, arguments, input: null);
    }

    public static PeerRun Run(string fileName, IEnumerable<string> arguments, string? input)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {fileName}");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (input is not null)
        {
            process.StandardInput.Write(input);
        }

        process.StandardInput.Close();
        if (!process.WaitForExit(TestTimeouts.Long))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            Assert.Fail($"{fileName} did not finish within {TestTimeouts.Long}: {stderr.Result}");
        }

        var run = new PeerRun(process.ExitCode, stdout.Result, stderr.Result);
        // Process.Dispose leaves the output pipes to the finalizer when they were read through the readers: close
        // them now, or they close during a later test and upset its descriptor count.
        process.StandardOutput.Dispose();
        process.StandardError.Dispose();
        return run;
    }

    private static IEnumerable<string> ConnectArguments(EndPoint address) => address switch
    {
        IPEndPoint ip => ["-connect", $"127.0.0.1:{ip.Port}"],
        UnixDomainSocketEndPoint unix => ["-unix", unix.ToString()],
        _ => throw new ArgumentException($"unsupported address {address}"),
    };

    private static IEnumerable<string> AddressArguments(EndPoint address) => address switch
    {
        IPEndPoint ip => ["--port", ip.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)],
        UnixDomainSocketEndPoint unix => ["--unix", unix.ToString()],
        _ => throw new ArgumentException($"unsupported address {address}"),
    };

    private static string? Find(string name)
    {
        foreach (string directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(directory, name);
            if (File.Exists(candidate))
            {
                // A pyenv shim exists even with no interpreter behind it: check that the tool runs.
                PeerRun check = Run(candidate, name == "openssl" ? ["version"] : ["-c", "import ssl"], input: null);
                return check.ExitCode == 0 ? candidate : null;
            }
        }

        return null;
    }
}

/// <summary>How a peer process ended.</summary>
internal sealed record PeerRun(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}";
}
