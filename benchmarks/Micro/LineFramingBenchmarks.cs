using BenchmarkDotNet.Attributes;

namespace SocketServer.Micro;

/// <summary>
/// Line framing: <see cref="SocketReader.ReadLine"/> over a real loopback socket, as a line-based
/// <c>StreamRequestHandler</c> reads its requests. Each invocation sends a batch of lines in one send and reads
/// them back one by one, so the figure per line is mostly framing (the buffer scan and the line's copy), with one
/// receive per batch.
/// </summary>
/// <remarks>The async line framer, when it exists, gets a class of its own beside this one with the same parameters.</remarks>
[MemoryDiagnoser]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "BenchmarkDotNet calls [GlobalCleanup], which disposes them.")]
public class LineFramingBenchmarks
{
    private const int LinesPerInvocation = 64;

    private LoopbackPair _pair = null!;
    private SocketReader _reader = null!;
    private byte[] _batch = [];

    /// <summary>The length of each line in bytes, its <c>\n</c> included.</summary>
    [Params(32, 512)]
    public int LineLength { get; set; }

    /// <summary>Connects the pair and prepares the batch of lines.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _pair = LoopbackPair.Connect();
        _reader = new SocketReader(_pair.Server);
        _batch = new byte[LineLength * LinesPerInvocation];
        for (int i = 0; i < _batch.Length; i++)
        {
            _batch[i] = (i + 1) % LineLength == 0 ? (byte)'\n' : (byte)('a' + (i % 26));
        }
    }

    /// <summary>Closes the pair.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _reader.Dispose();
        _pair.Dispose();
    }

    /// <summary>Sends one batch and reads it back line by line; reported per line.</summary>
    /// <returns>The total length read, so nothing is optimised away.</returns>
    [Benchmark(OperationsPerInvoke = LinesPerInvocation)]
    public int ReadLine()
    {
        _pair.Client.Send(_batch);
        int total = 0;
        for (int i = 0; i < LinesPerInvocation; i++)
        {
            total += _reader.ReadLine().Length;
        }

        return total;
    }
}
