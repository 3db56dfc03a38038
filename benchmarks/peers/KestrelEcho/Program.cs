using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace KestrelEcho;

/// <summary>
/// Usage: KestrelEcho TCP_PORT. Port 0 picks a free port. Prints <c>listening on tcp://127.0.0.1:PORT</c> once
/// Kestrel is listening, then serves until SIGINT or SIGTERM.
/// </summary>
/// <remarks>
/// Kestrel's raw transport with a <see cref="EchoConnectionHandler"/> and no HTTP: the empty builder (no logging
/// providers, no configuration sources beyond the arguments), Kestrel's defaults otherwise.
/// </remarks>
internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        if (args.Length != 1)
        {
            await Console.Error.WriteLineAsync("usage: KestrelEcho TCP_PORT").ConfigureAwait(false);
            return 2;
        }

        int port = int.Parse(args[0], CultureInfo.InvariantCulture);
        WebApplicationBuilder builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { Args = args });
        builder.Logging.ClearProviders();
        ListenOptions? endpoint = null;
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
            kestrel.Listen(IPAddress.Loopback, port, listen =>
            {
                listen.UseConnectionHandler<EchoConnectionHandler>();
                endpoint = listen;
            }));
        await using WebApplication app = builder.Build();
        await app.StartAsync().ConfigureAwait(false);

        // Kestrel writes the bound port back into the endpoint's options once it listens.
        Console.WriteLine($"listening on tcp://{endpoint!.IPEndPoint}");
        Console.Out.Flush();
        await app.WaitForShutdownAsync().ConfigureAwait(false);
        return 0;
    }
}
