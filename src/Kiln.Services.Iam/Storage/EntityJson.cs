using System.Text.Json;
using Kiln.Services.Iam.Domain;

namespace Kiln.Services.Iam.Storage;

/// <summary>The stored form of an entity. Both stores keep JSON so the in-memory one hands out
/// copies: a caller that mutates what it read changes nothing until it writes.</summary>
internal static class EntityJson
{
    // Layout version 1 (the field names of Domain/IamEntities.cs); a rename needs a migration.
    private static readonly JsonSerializerOptions s_options = new() { PropertyNamingPolicy = null };

    public static string Serialize(EntityKind kind, object entity) => kind switch
    {
        EntityKind.User => JsonSerializer.Serialize((IamUser)entity, s_options),
        EntityKind.Group => JsonSerializer.Serialize((IamGroup)entity, s_options),
        EntityKind.Role => JsonSerializer.Serialize((IamRole)entity, s_options),
        EntityKind.MfaDevice => JsonSerializer.Serialize((MfaDevice)entity, s_options),
        _ => JsonSerializer.Serialize((ManagedPolicy)entity, s_options),
    };

    public static T Deserialize<T>(string json) => JsonSerializer.Deserialize<T>(json, s_options)!;
}
