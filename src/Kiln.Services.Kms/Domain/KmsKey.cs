using System.Text.Json.Serialization;

namespace Kiln.Services.Kms.Domain;

/// <summary>A KMS key's lifecycle state, as KeyMetadata.KeyState spells it ("Key states of AWS KMS keys").
/// Persisted by name: renaming a member needs a migration.</summary>
public enum KeyState
{
    Enabled,
    Disabled,
    PendingDeletion,
}

/// <summary>A symmetric KMS key (SYMMETRIC_DEFAULT, AES-256-GCM). Its material versions are sealed
/// under the data directory's master key; the plaintext material exists only in memory while an
/// operation runs. Layout version 1 of the stored JSON is these property names.</summary>
public sealed class KmsKey
{
    public required string AccountId { get; init; }
    public required string Region { get; init; }
    public required string KeyId { get; init; }
    public string Description { get; set; } = "";
    public DateTimeOffset CreationDate { get; init; }
    public KeyState State { get; set; } = KeyState.Enabled;
    public DateTimeOffset? DeletionDate { get; set; }
    public int? PendingWindowInDays { get; set; }
    public bool RotationEnabled { get; set; }
    public DateTimeOffset? RotationEnabledAt { get; set; }
    /// <summary>The key policy ("default" is the only policy name KMS has).</summary>
    public required string Policy { get; set; }
    /// <summary>Every material version, oldest first; the last one encrypts, all of them decrypt.</summary>
    public List<KeyMaterial> Materials { get; init; } = [];
    public Dictionary<string, string> Tags { get; init; } = new(StringComparer.Ordinal);

    [JsonIgnore]
    public string Arn => KeyIds.KeyArn(Region, AccountId, KeyId);

    [JsonIgnore]
    public KeyMaterial Current => Materials[^1];
}

/// <summary>One version of a key's material: 32 bytes sealed by <see cref="Kiln.Storage.Crypto.MasterKey"/>,
/// bound to the key ARN and version so a sealed value cannot be moved to another key.</summary>
public sealed record KeyMaterial(int Version, DateTimeOffset Created, byte[] Sealed);

/// <summary>A friendly name for a key, <c>alias/NAME</c>, unique per account and region.</summary>
public sealed class KmsAlias
{
    public required string AccountId { get; init; }
    public required string Region { get; init; }
    public required string Name { get; init; }
    public required string TargetKeyId { get; set; }
    public DateTimeOffset CreationDate { get; init; }
    public DateTimeOffset LastUpdatedDate { get; set; }

    [JsonIgnore]
    public string Arn => $"arn:aws:kms:{Region}:{AccountId}:{Name}";
}
