using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace SocketServer.Tests.Async;

/// <summary>Echoes each line (newline included) with <see cref="AsyncStreamRequestHandler.ReadLineAsync"/>.</summary>
internal sealed class AsyncLineEchoHandler : AsyncStreamRequestHandler
{
    public static int MaxLineLength { get; set; } = DefaultMaxLineLength;

    protected override async ValueTask HandleAsync()
    {
        while (await ReadLineAsync(MaxLineLength) is { } line)
        {
            foreach (ReadOnlyMemory<byte> segment in line)
            {
                Output.Write(segment.Span);
            }

            await Output.FlushAsync();
        }
    }
}

/// <summary>Says "bye" and ends without reading: the server closes the connection.</summary>
internal sealed class AsyncGoodbyeHandler : AsyncStreamRequestHandler
{
    protected override async ValueTask HandleAsync()
    {
        Output.Write("bye\n"u8);
        await Output.FlushAsync();
    }
}

/// <summary>Echoes each length-prefixed frame, prefix included.</summary>
internal sealed class AsyncFrameEchoHandler : AsyncStreamRequestHandler
{
    protected override async ValueTask HandleAsync()
    {
        while (await ReadFrameAsync(1000) is { } frame)
        {
            Span<byte> prefix = Output.GetSpan(4);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(prefix, (uint)frame.Length);
            Output.Advance(4);
            foreach (ReadOnlyMemory<byte> segment in frame)
            {
                Output.Write(segment.Span);
            }

            await Output.FlushAsync();
        }
    }
}

/// <summary>A server that records HandleError calls.</summary>
internal sealed class RecordingTcpServer(EndPoint address, Func<BaseRequestHandler> factory) : TcpServer(address, factory)
{
    public ConcurrentQueue<Exception> Errors { get; } = new();

    public SemaphoreSlim ErrorReported { get; } = new(0);

    protected override void HandleError(object request, EndPoint? clientAddress, Exception exception)
    {
        Errors.Enqueue(exception);
        ErrorReported.Release();
    }
}

/// <summary>Throws on the first line it reads.</summary>
internal sealed class ThrowingAsyncHandler : AsyncStreamRequestHandler
{
    protected override async ValueTask HandleAsync()
    {
        _ = await ReadLineAsync();
        throw new InvalidOperationException("handler failed on purpose");
    }
}

/// <summary>A plain synchronous handler: echoes one line with blocking reads.</summary>
internal sealed class SyncLineEchoHandler : StreamRequestHandler
{
    protected override void Handle() => WFile.Write(RFile.ReadLine());
}

internal static class AsyncClients
{
    public static async Task<Socket> ConnectAsync(EndPoint address, CancellationToken cancellationToken)
    {
        var socket = address is UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(address, cancellationToken);
        return socket;
    }

    public static async Task<byte[]> ReceiveExactlyAsync(Socket socket, int length, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[length];
        int total = 0;
        while (total < length)
        {
            int read = await socket.ReceiveAsync(buffer.AsMemory(total), cancellationToken);
            if (read == 0)
            {
                throw new EndOfStreamException($"the server closed after {total} of {length} bytes");
            }

            total += read;
        }

        return buffer;
    }

    public static async Task<byte[]> ReceiveToEndAsync(Socket socket, CancellationToken cancellationToken)
    {
        var received = new MemoryStream();
        byte[] buffer = new byte[65536];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, cancellationToken)) > 0)
        {
            received.Write(buffer, 0, read);
        }

        return received.ToArray();
    }
}
