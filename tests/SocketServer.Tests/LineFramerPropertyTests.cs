using System.Net;
using System.Net.Sockets;
using CsCheck;

namespace SocketServer.Tests;

/// <summary>
/// Properties of <see cref="SocketReader.ReadLine"/>, over real loopback connections: any input, sent in any chunks and
/// read through any buffer size, frames like splitting the whole input on <c>\n</c>; with a maximum line length,
/// longer lines give <see cref="ConnectionLimitException"/> and never a partial line; a caller's <c>limit</c> no
/// greater than the maximum keeps Python's <c>readline(limit)</c> meaning.
/// </summary>
public sealed class LineFramerPropertyTests : IDisposable
{
    private const int Iterations = 150;

    // One sample at a time: each sample accepts its own connection from the shared listener.

    // Few distinct bytes, many newlines: short and long lines, empty lines, and a last line without \n.
    private static readonly Gen<byte[]> s_input = Gen.Frequency(
        (6, Gen.Const((byte)'a')),
        (2, Gen.Const((byte)'\n')),
        (1, Gen.Const((byte)'\r')),
        (1, Gen.Byte)).Array[0, 300];

    private static readonly Gen<int[]> s_cuts = Gen.Int[1, 299].Array[0, 8];

    // -1 is the default 8192-byte buffer, 0 reads byte by byte.
    private static readonly Gen<int> s_bufferSize = Gen.OneOf(Gen.Const(-1), Gen.Const(0), Gen.Int[1, 17]);

    private readonly Socket _listener;

    public LineFramerPropertyTests()
    {
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen();
    }

    [Fact]
    public void AnyChunkingFramesLikeSplittingTheWholeInputOnNewlines()
    {
        Gen.Select(s_input, s_cuts, s_bufferSize).Sample(sample =>
        {
            (byte[] input, int[] cuts, int bufferSize) = sample;
            using Connection connection = Send(input, cuts);
            var reader = new SocketReader(connection.Server, bufferSize);
            Assert.Equal(Lines(input).Select(Convert.ToHexString), reader.ReadLines().Select(Convert.ToHexString));
            Assert.Empty(reader.ReadLine());
        }, iter: Iterations, threads: 1);
    }

    [Fact]
    public void LinesOverTheMaximumGiveTheLimitErrorAndNeverAPartialLine()
    {
        Gen.Select(s_input, s_cuts, s_bufferSize, Gen.Int[1, 40]).Sample(sample =>
        {
            (byte[] input, int[] cuts, int bufferSize, int maxLine) = sample;
            using Connection connection = Send(input, cuts);
            var reader = new SocketReader(connection.Server, bufferSize) { MaxLineLength = maxLine };
            foreach (byte[] expected in Lines(input))
            {
                if (expected.Length <= maxLine)
                {
                    Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(reader.ReadLine()));
                    continue;
                }

                var error = Assert.Throws<ConnectionLimitException>(() => reader.ReadLine());
                Assert.Equal(nameof(ServerLimits.MaxLineLength), error.LimitName);
                Assert.Contains($"({maxLine} bytes", error.Message, StringComparison.Ordinal);
                // Input has stopped: no later call hands out the rest of the line either.
                Assert.Throws<ConnectionLimitException>(() => reader.ReadLine());
                Assert.Throws<ConnectionLimitException>(() => reader.Read(new byte[16]));
                return;
            }

            Assert.Empty(reader.ReadLine());
        }, iter: Iterations, threads: 1);
    }

    [Fact]
    public void ALimitNoGreaterThanTheMaximumKeepsPythonsReadlineMeaning()
    {
        Gen<int[]> limits = Gen.Int[-1, 40].Array[1, 30];
        Gen.Select(s_input, s_cuts, s_bufferSize, limits).Sample(sample =>
        {
            (byte[] input, int[] cuts, int bufferSize, int[] callLimits) = sample;
            using Connection connection = Send(input, cuts);
            // The maximum is at least every limit used, so Python's cut-without-error applies to every call.
            int maxLine = Math.Max(1, callLimits.Max());
            bool anyUnlimited = callLimits.Any(static l => l < 0);
            var reader = new SocketReader(connection.Server, bufferSize) { MaxLineLength = anyUnlimited ? null : maxLine };
            int position = 0;
            foreach (int limit in callLimits)
            {
                byte[] expected = PythonReadline(input, ref position, limit);
                Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(reader.ReadLine(limit)));
            }
        }, iter: Iterations, threads: 1);
    }

    public void Dispose() => _listener.Dispose();

    /// <summary>The input split after each <c>\n</c>; a last piece without one is a line too.</summary>
    private static List<byte[]> Lines(byte[] input)
    {
        var lines = new List<byte[]>();
        int start = 0;
        for (int i = 0; i < input.Length; i++)
        {
            if (input[i] == (byte)'\n')
            {
                lines.Add(input[start..(i + 1)]);
                start = i + 1;
            }
        }

        if (start < input.Length)
        {
            lines.Add(input[start..]);
        }

        return lines;
    }

    /// <summary>Python's <c>BufferedReader.readline(limit)</c>: up to and including <c>\n</c>, at most <paramref name="limit"/> bytes (negative: no limit).</summary>
    private static byte[] PythonReadline(byte[] input, ref int position, int limit)
    {
        int end = position;
        int max = limit < 0 ? int.MaxValue : limit;
        while (end < input.Length && end - position < max)
        {
            end++;
            if (input[end - 1] == (byte)'\n')
            {
                break;
            }
        }

        byte[] line = input[position..end];
        position = end;
        return line;
    }

    /// <summary>Connects, sends <paramref name="input"/> cut at <paramref name="cuts"/> in separate sends, then ends the sending side.</summary>
    private Connection Send(byte[] input, int[] cuts)
    {
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.Connect(_listener.LocalEndPoint!);
        Socket server = _listener.Accept();
        server.ReceiveTimeout = (int)Infrastructure.TestTimeouts.Long.TotalMilliseconds;
        int start = 0;
        foreach (int cut in cuts.Where(c => c < input.Length).Distinct().Order())
        {
            client.Send(input.AsSpan(start, cut - start));
            start = cut;
        }

        client.Send(input.AsSpan(start));
        client.Shutdown(SocketShutdown.Send);
        return new Connection(client, server);
    }

    private sealed class Connection(Socket client, Socket server) : IDisposable
    {
        public Socket Server => server;

        public void Dispose()
        {
            server.Dispose();
            client.Dispose();
        }
    }
}
