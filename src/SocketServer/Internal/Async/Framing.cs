using System.Buffers;
using System.Buffers.Binary;

namespace SocketServer.Internal.Async;

/// <summary>
/// Finds one line or one length-prefixed frame at the start of buffered input, without copying or allocating. The
/// async handler's <c>ReadLineAsync</c>/<c>ReadFrameAsync</c> wrap these around the input pipe.
/// </summary>
internal static class Framing
{
    /// <summary>The size of a frame's length prefix: 4 bytes, big-endian (network order), unsigned.</summary>
    public const int FramePrefixLength = 4;

    /// <summary>What <see cref="TryReadLine"/> found.</summary>
    public enum Outcome
    {
        /// <summary>More input is needed.</summary>
        Incomplete,

        /// <summary>A whole line or frame was found.</summary>
        Complete,

        /// <summary>The line or frame is longer than allowed.</summary>
        TooLong,
    }

    /// <summary>
    /// Looks for the first line (up to and including <c>\n</c>) in <paramref name="buffer"/>. A line longer than
    /// <paramref name="maxLength"/> bytes (newline included) is <see cref="Outcome.TooLong"/> as soon as that many bytes
    /// arrived without a newline, so a peer cannot make the server buffer without limit.
    /// </summary>
    public static Outcome TryReadLine(in ReadOnlySequence<byte> buffer, int maxLength, out ReadOnlySequence<byte> line)
    {
        // Only the first maxLength bytes can hold an acceptable line's newline.
        ReadOnlySequence<byte> window = buffer.Length > maxLength ? buffer.Slice(0, maxLength) : buffer;
        SequencePosition? newline = window.PositionOf((byte)'\n');
        if (newline is { } position)
        {
            line = buffer.Slice(0, buffer.GetPosition(1, position));
            return Outcome.Complete;
        }

        line = default;
        return buffer.Length >= maxLength ? Outcome.TooLong : Outcome.Incomplete;
    }

    /// <summary>
    /// Looks for one frame (a 4-byte big-endian length, then that many bytes) at the start of
    /// <paramref name="buffer"/>; <paramref name="frame"/> is the payload and <paramref name="consumed"/> its end.
    /// </summary>
    public static Outcome TryReadFrame(in ReadOnlySequence<byte> buffer, int maxLength, out ReadOnlySequence<byte> frame, out SequencePosition consumed)
    {
        frame = default;
        consumed = buffer.Start;
        if (buffer.Length < FramePrefixLength)
        {
            return Outcome.Incomplete;
        }

        Span<byte> prefix = stackalloc byte[FramePrefixLength];
        buffer.Slice(0, FramePrefixLength).CopyTo(prefix);
        uint length = BinaryPrimitives.ReadUInt32BigEndian(prefix);
        if (length > (uint)maxLength)
        {
            return Outcome.TooLong;
        }

        if (buffer.Length - FramePrefixLength < length)
        {
            return Outcome.Incomplete;
        }

        frame = buffer.Slice(FramePrefixLength, length);
        consumed = frame.End;
        return Outcome.Complete;
    }
}
