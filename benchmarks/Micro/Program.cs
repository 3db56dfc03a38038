using BenchmarkDotNet.Running;

namespace SocketServer.Micro;

/// <summary>
/// Runs the micro-benchmarks: <c>dotnet run -c Release --project benchmarks/Micro -- --filter '*'</c>
/// (any BenchmarkDotNet option works: <c>--list flat</c>, <c>--filter '*LineFraming*'</c>, <c>--job short</c>).
/// </summary>
internal static class Program
{
    private static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
