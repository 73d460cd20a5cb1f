using System.Text.Json;
using System.Text.Json.Serialization;
using Kiln.Services.Kms.Domain;

namespace Kiln.Services.Kms.Storage;

/// <summary>The stored form of keys and aliases (layout version 1: the property names of
/// Domain/KmsKey.cs, enums by name). Sealed material is base64 inside the document.</summary>
internal static class KmsJson
{
    private static readonly JsonSerializerOptions s_options = new()
    {
        PropertyNamingPolicy = null,
        Converters = { new JsonStringEnumConverter() },
    };

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, s_options);

    public static T Deserialize<T>(string json) => JsonSerializer.Deserialize<T>(json, s_options)!;
}
