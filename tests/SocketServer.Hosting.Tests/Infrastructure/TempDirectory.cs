namespace SocketServer.Hosting.Tests.Infrastructure;

/// <summary>A short-named temporary directory for Unix socket files (paths are limited to about 100 bytes).</summary>
internal sealed class TempDirectory : IDisposable
{
    private int _counter;

    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "ssh-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string NewSocketPath(string name = "s") =>
        System.IO.Path.Combine(Path, $"{name}{Interlocked.Increment(ref _counter)}.sock");

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
