using System.Buffers;
using System.IO.Pipelines;
using CsCheck;
using SocketServer.Internal.Async;

namespace SocketServer.Tests.Async;

/// <summary>
/// The line framer against random input cut at random places: however the bytes arrive (and however the pipe splits
/// them into segments), the same lines come out, in order, and a too-long line is reported, never cut.
/// </summary>
public sealed class LineFramingPropertyTests
{
    private static readonly Gen<byte> s_nonNewline = Gen.Byte.Where(b => b != (byte)'\n');

    private static readonly Gen<byte[][]> s_lines = s_nonNewline.Array[0, 40].Array[0, 30];

    [Fact]
    public void RandomChunkingGivesTheSameLines()
    {
        Gen.Select(s_lines, Gen.Int[1, 17].Array[1, 64]).Sample((lines, cuts) =>
        {
            byte[] stream = [.. lines.SelectMany(line => line.Append((byte)'\n'))];
            List<byte[]> framed = Frame(stream, cuts, maxLength: 41);
            Assert.Equal(lines.Length, framed.Count);
            for (int i = 0; i < lines.Length; i++)
            {
                Assert.Equal([.. lines[i], (byte)'\n'], framed[i]);
            }
        });
    }

    [Fact]
    public void ALineLongerThanTheLimitIsReportedWhateverTheChunking()
    {
        Gen.Select(s_nonNewline.Array[11, 60], Gen.Int[1, 9].Array[1, 32]).Sample((longLine, cuts) =>
        {
            byte[] stream = [.. "ok\n"u8.ToArray(), .. longLine, (byte)'\n'];
            Assert.Throws<InvalidDataException>(() => Frame(stream, cuts, maxLength: 10));
        });
    }

    /// <summary>Feeds <paramref name="stream"/> into a pipe of tiny segments in chunks, taking every whole line after each.</summary>
    private static List<byte[]> Frame(byte[] stream, int[] cuts, int maxLength)
    {
        var pipe = new Pipe(new PipeOptions(minimumSegmentSize: 16, pauseWriterThreshold: 0, useSynchronizationContext: false));
        var lines = new List<byte[]>();
        int offset = 0;
        int cut = 0;
        while (offset < stream.Length)
        {
            int length = Math.Min(cuts[cut++ % cuts.Length], stream.Length - offset);
            pipe.Writer.Write(stream.AsSpan(offset, length));
            offset += length;
            _ = pipe.Writer.FlushAsync().AsTask().Result;
            Assert.True(pipe.Reader.TryRead(out ReadResult result));
            ReadOnlySequence<byte> buffer = result.Buffer;
            while (true)
            {
                Framing.Outcome outcome = Framing.TryReadLine(buffer, maxLength, out ReadOnlySequence<byte> line);
                if (outcome == Framing.Outcome.TooLong)
                {
                    throw new InvalidDataException("too long");
                }

                if (outcome == Framing.Outcome.Incomplete)
                {
                    break;
                }

                lines.Add(line.ToArray());
                buffer = buffer.Slice(line.End);
            }

            pipe.Reader.AdvanceTo(buffer.Start, buffer.End);
        }

        return lines;
    }
}
