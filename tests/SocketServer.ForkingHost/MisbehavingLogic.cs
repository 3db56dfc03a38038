using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace SocketServer.ForkingHost;

/// <summary>What the handlers do for each command they receive.</summary>
internal static class MisbehavingLogic
{
    public static byte[] Respond(string command)
    {
        switch (command.Trim())
        {
            case "pid":
                return Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");
            case "throw":
                throw new InvalidOperationException("handler failed on purpose");
            case "exit":
                throw new ServerExitException("handler asked to exit");
            case "failfast":
                Environment.FailFast("handler called FailFast on purpose");
                return [];
            case "kill":
                Process.GetCurrentProcess().Kill();
                Thread.Sleep(Timeout.Infinite);
                return [];
            case "hang":
                Thread.Sleep(Timeout.Infinite);
                return [];
            case "oom":
                // The tests run workers under DOTNET_GCHeapHardLimit; the cap on chunks bounds this even without it.
                var hoard = new List<byte[]>();
                for (int i = 0; i < 64; i++)
                {
                    hoard.Add(GC.AllocateArray<byte>(64 * 1024 * 1024, pinned: false));
                    hoard[^1].AsSpan().Fill(1);
                }

                return Encoding.ASCII.GetBytes($"allocated {hoard.Count} chunks without running out\n");

            default:
                return Encoding.ASCII.GetBytes(command);
        }
    }
}
