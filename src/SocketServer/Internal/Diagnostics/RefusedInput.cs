namespace SocketServer.Internal.Diagnostics;

/// <summary>
/// Marks the <see cref="InvalidDataException"/> an async handler's read helper throws for input it refuses (a line or
/// frame over its limit, a frame cut short), so that <see cref="ServerDiagnostics.ReportClientFault"/> can tell the
/// client's fault from a handler's own <see cref="InvalidDataException"/>. The type is sealed, hence the mark in
/// <see cref="Exception.Data"/> rather than a subclass; it costs nothing until a client misbehaves.
/// </summary>
internal static class RefusedInput
{
    private const string Key = "SocketServer.RefusedInput";

    /// <summary>Creates the marked exception.</summary>
    /// <param name="message">What was refused, naming the limit.</param>
    /// <returns>The exception, to throw.</returns>
    public static InvalidDataException Create(string message)
    {
        var exception = new InvalidDataException(message);
        exception.Data[Key] = true;
        return exception;
    }

    /// <summary>Whether <paramref name="exception"/> was made by <see cref="Create"/>.</summary>
    public static bool IsRefusedInput(Exception exception) => exception is InvalidDataException && exception.Data[Key] is true;
}
