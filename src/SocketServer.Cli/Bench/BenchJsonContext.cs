using System.Text.Json.Serialization;

namespace SocketServer.Cli.Bench;

/// <summary>The source-generated serializer for <c>--json</c>: no reflection, so the tool stays trimmable and AOT-friendly.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(BenchReport))]
internal sealed partial class BenchJsonContext : JsonSerializerContext;
