using System.Net;
using Microsoft.Extensions.Logging;
using SocketServer.Internal.Diagnostics;

namespace SocketServer.Tests.Diagnostics;

/// <summary>The default sink: Warning and above, one line each, the whole exception only for the loops' crashes.</summary>
public sealed class StandardErrorLoggerTests
{
    [Fact]
    public void AnEventIsOneLineWithTheExceptionsTypeAndMessage()
    {
        var writer = new StringWriter();
        var logger = new StandardErrorLogger(writer, LogLevel.Warning);
        var failure = new ChildProcessFailure(17, 134, null, "exited");
        Log.WorkerFailed(logger, "tcp://127.0.0.1:80", failure);
        Log.AcceptPausedOutOfDescriptors(logger, "tcp://127.0.0.1:80", "Too many open files", "this process may open 80 descriptors", 5, 1);
        Assert.Equal(
            $"socketserver: tcp://127.0.0.1:80: {failure}{Environment.NewLine}"
            + $"socketserver: tcp://127.0.0.1:80: accepting failed: Too many open files (this process may open 80 descriptors); pausing 5 ms, up to 1 s, while existing requests go on (1 failures so far).{Environment.NewLine}",
            writer.ToString());
    }

    [Fact]
    public void AnErrorWithAnExceptionStaysOnOneLine()
    {
        var writer = new StringWriter();
        var logger = new StandardErrorLogger(writer, LogLevel.Warning);
        Log.RequestFailed(logger, new ClientName(new IPEndPoint(IPAddress.Loopback, 4242)), Thrown(new IOException("first line\nsecond line")));
        Assert.Equal(
            $"socketserver: Exception occurred during processing of request from 127.0.0.1:4242 (System.IO.IOException: first line second line){Environment.NewLine}",
            writer.ToString());
    }

    [Fact]
    public void EventsBelowTheThresholdAreNotWritten()
    {
        var writer = new StringWriter();
        var logger = new StandardErrorLogger(writer, LogLevel.Warning);
        Log.ConnectionRejected(logger, "tcp://127.0.0.1:80", new ClientName(null), "the server is draining", string.Empty);
        Log.ConnectionReset(logger, "tcp://127.0.0.1:80", new ClientName(null), "reset");
        Assert.Equal(string.Empty, writer.ToString());
        Assert.False(logger.IsEnabled(LogLevel.Information));
        Assert.True(logger.IsEnabled(LogLevel.Warning));
        Assert.False(logger.IsEnabled(LogLevel.None));
    }

    [Fact]
    public void TheLoopsCrashesPrintTheWholeException()
    {
        var writer = new StringWriter();
        var logger = new StandardErrorLogger(writer, LogLevel.Warning);
        Exception thrown = Thrown(new InvalidOperationException("bug"));
        Log.EventLoopFailed(logger, "socketserver-loop-0", thrown);
        Log.ServeLoopFailed(logger, "tcp://127.0.0.1:80", thrown);
        string[] lines = writer.ToString().Split(Environment.NewLine);
        Assert.Equal("socketserver: Unhandled exception on event loop socketserver-loop-0.", lines[0]);
        Assert.Equal("System.InvalidOperationException: bug", lines[1]);
        Assert.StartsWith("   at ", lines[2], StringComparison.Ordinal);
        Assert.Contains("socketserver: tcp://127.0.0.1:80: serving ended with an exception.", lines);
    }

    [Fact]
    public void TheDefaultSinkWritesWarningsAndAbove()
    {
        Assert.False(StandardErrorLogger.Instance.IsEnabled(LogLevel.Information));
        Assert.True(StandardErrorLogger.Instance.IsEnabled(LogLevel.Warning));
        Assert.True(StandardErrorLogger.Instance.IsEnabled(LogLevel.Critical));
    }

    private static Exception Thrown(Exception exception)
    {
        try
        {
            throw exception;
        }
        catch (Exception e)
        {
            return e;
        }
    }
}
