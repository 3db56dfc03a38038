using System.Buffers.Binary;
using System.IO.Compression;

namespace SocketServer.Cli.Tests.Infrastructure;

/// <summary>
/// A PNG decoded to RGB pixels: just enough of the format for a browser's screenshot (8 bits per channel, RGB or
/// RGBA, not interlaced), so a test can look at what was drawn without an image library.
/// </summary>
internal sealed class PngImage
{
    private static readonly byte[] s_signature = [137, 80, 78, 71, 13, 10, 26, 10];

    private readonly byte[] _rgb;

    private PngImage(int width, int height, byte[] rgb)
    {
        Width = width;
        Height = height;
        _rgb = rgb;
    }

    public int Width { get; }

    public int Height { get; }

    public (byte R, byte G, byte B) this[int x, int y]
    {
        get
        {
            int at = ((y * Width) + x) * 3;
            return (_rgb[at], _rgb[at + 1], _rgb[at + 2]);
        }
    }

    public static PngImage Decode(byte[] file)
    {
        if (file.Length < 8 || !file.AsSpan(0, 8).SequenceEqual(s_signature))
        {
            throw new InvalidDataException("Not a PNG file.");
        }

        int width = 0, height = 0, channels = 0;
        using MemoryStream compressed = new();
        for (int at = 8; at + 8 <= file.Length;)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(file.AsSpan(at));
            string type = System.Text.Encoding.ASCII.GetString(file, at + 4, 4);
            ReadOnlySpan<byte> data = file.AsSpan(at + 8, length);
            at += 12 + length;
            if (type == "IHDR")
            {
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                (byte depth, byte colour, byte interlace) = (data[8], data[9], data[12]);
                channels = colour switch { 2 => 3, 6 => 4, _ => 0 };
                if (depth != 8 || channels == 0 || interlace != 0)
                {
                    throw new NotSupportedException($"PNG with bit depth {depth}, colour type {colour}, interlace {interlace}.");
                }
            }
            else if (type == "IDAT")
            {
                compressed.Write(data);
            }
            else if (type == "IEND")
            {
                break;
            }
        }

        compressed.Position = 0;
        using ZLibStream inflate = new(compressed, CompressionMode.Decompress);
        int stride = width * channels;
        byte[] previous = new byte[stride];
        byte[] line = new byte[stride];
        byte[] rgb = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
        {
            int filter = inflate.ReadByte();
            inflate.ReadExactly(line);
            Unfilter(filter, line, previous, channels);
            for (int x = 0; x < width; x++)
            {
                line.AsSpan(x * channels, 3).CopyTo(rgb.AsSpan(((y * width) + x) * 3));
            }

            (previous, line) = (line, previous);
        }

        return new PngImage(width, height, rgb);
    }

    // The five filters of the PNG specification, section 9; "left", "up" and "up-left" are the same channel's bytes.
    private static void Unfilter(int filter, byte[] line, byte[] previous, int channels)
    {
        for (int i = 0; i < line.Length; i++)
        {
            int left = i >= channels ? line[i - channels] : 0;
            int up = previous[i];
            int upLeft = i >= channels ? previous[i - channels] : 0;
            line[i] += filter switch
            {
                0 => 0,
                1 => (byte)left,
                2 => (byte)up,
                3 => (byte)((left + up) / 2),
                4 => Paeth(left, up, upLeft),
                _ => throw new InvalidDataException($"PNG filter {filter}."),
            };
        }
    }

    private static byte Paeth(int a, int b, int c)
    {
        int p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return (byte)(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
    }
}
