using System.Globalization;

namespace SocketServer.Internal.Forking;

/// <summary>
/// What a parent hands a worker process through its environment: which forking server of the program is the
/// worker's (by construction order), where the parent's control socket is, and the token that proves the
/// worker is the parent's own child.
/// </summary>
internal sealed record WorkerEnvironment(int ServerOrdinal, string ControlPath, string Token)
{
    public const string VariableName = "SOCKETSERVER_FORK_WORKER";

    /// <summary>The role handed to this process, read once at start; null in an ordinary process.</summary>
    public static WorkerEnvironment? Current { get; } = ReadAndClear();

    public string Encode() => string.Create(CultureInfo.InvariantCulture, $"{ServerOrdinal};{Token};{ControlPath}");

    private static WorkerEnvironment? ReadAndClear()
    {
        string? value = Environment.GetEnvironmentVariable(VariableName);
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        // Processes the handler starts must not think they are workers too.
        Environment.SetEnvironmentVariable(VariableName, null);
        string[] parts = value.Split(';', 3);
        if (parts.Length != 3 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int ordinal))
        {
            throw new InvalidOperationException($"{VariableName} is malformed: '{value}'.");
        }

        return new WorkerEnvironment(ordinal, parts[2], parts[1]);
    }
}
