using System.Buffers;
using System.Text;

namespace SocketServer.ForkingHost;

/// <summary>The matrix's line protocol with <see cref="SocketReader.ReadLine"/>: echo each line; "boom" throws.</summary>
internal sealed class HostMatrixHandler : StreamRequestHandler
{
    protected override void Handle()
    {
        HostMatrixReports.Ran(ClientAddress);
        try
        {
            byte[] line;
            while ((line = RFile.ReadLine()).Length > 0)
            {
                HostMatrixReports.ThrowIfBoom(Encoding.ASCII.GetString(line));
                WFile.Write(line);
            }
        }
        catch (Exception e)
        {
            HostMatrixReports.Failed(ClientAddress, e);
            throw;
        }
    }
}

/// <summary>The same protocol with <see cref="AsyncStreamRequestHandler.ReadLineAsync"/>.</summary>
internal sealed class HostMatrixAsyncHandler : AsyncStreamRequestHandler
{
    protected override async ValueTask HandleAsync()
    {
        HostMatrixReports.Ran(ClientAddress);
        try
        {
            while (await ReadLineAsync() is { } line)
            {
                HostMatrixReports.ThrowIfBoom(Encoding.ASCII.GetString(line.ToArray()));
                foreach (ReadOnlyMemory<byte> segment in line)
                {
                    Output.Write(segment.Span);
                }

                await Output.FlushAsync();
            }
        }
        catch (Exception e)
        {
            HostMatrixReports.Failed(ClientAddress, e);
            throw;
        }
    }
}

internal static class HostMatrixReports
{
    public static void Ran(System.Net.EndPoint? client) =>
        HostServers.Report($"handler-ran pid={Environment.ProcessId} client={HostMatrixServer.Client(client)}");

    /// <summary>What ended the handler, and for a limit which one.</summary>
    public static void Failed(System.Net.EndPoint? client, Exception e) =>
        HostServers.Report($"handler-failed pid={Environment.ProcessId} client={HostMatrixServer.Client(client)} {e.GetType().Name} {(e as ConnectionLimitException)?.LimitName}".TrimEnd());

    public static void ThrowIfBoom(string line)
    {
        if (line == "boom\n")
        {
            throw new InvalidOperationException("handler failed on purpose");
        }
    }
}
