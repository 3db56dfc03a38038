using Microsoft.Extensions.Hosting;

namespace SocketServer.Hosting.Internal;

/// <summary>
/// Where the relative file paths of the options (certificates, keys) are taken from: the host's content root, the
/// folder <c>appsettings.json</c> is read from, so that a path written beside it means the file beside it whatever the
/// working directory of the service.
/// </summary>
/// <param name="environment">The host's environment; null without one (the working directory is used then).</param>
internal sealed class ContentRoot(IHostEnvironment? environment)
{
    /// <summary>The full path of <paramref name="path"/>.</summary>
    /// <param name="path">A path from the options, absolute or relative to the content root.</param>
    /// <returns>The full path.</returns>
    public string Resolve(string path) =>
        environment is { ContentRootPath: { Length: > 0 } root } ? Path.GetFullPath(path, root) : Path.GetFullPath(path);
}
