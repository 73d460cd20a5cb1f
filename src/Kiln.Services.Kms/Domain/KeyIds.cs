using System.Text.RegularExpressions;

namespace Kiln.Services.Kms.Domain;

/// <summary>How a request names a key: key id, key ARN, alias name or alias ARN ("Key identifiers
/// (KeyId)" in the AWS KMS Developer Guide). Alias forms are resolved by <see cref="KeyService"/>.</summary>
public readonly record struct KeyReference(string AccountId, string Region, string? KeyId, string? AliasName);

public static partial class KeyIds
{
    public const string AliasPrefix = "alias/";
    /// <summary>"The alias/aws/ prefix is reserved for AWS managed keys" (CreateAlias API reference).</summary>
    public const string ReservedAliasPrefix = "alias/aws/";

    public static string KeyArn(string region, string account, string keyId) => $"arn:aws:kms:{region}:{account}:key/{keyId}";

    public static string AliasArn(string region, string account, string alias) => $"arn:aws:kms:{region}:{account}:{alias}";

    public static string NewKeyId() => Guid.NewGuid().ToString("D");

    /// <summary>Parses an identifier in the caller's account and region; null when it has none of the
    /// four forms.</summary>
    public static KeyReference? Parse(string? identifier, string account, string region)
    {
        if (string.IsNullOrEmpty(identifier))
        {
            return null;
        }

        if (identifier.StartsWith(AliasPrefix, StringComparison.Ordinal))
        {
            return new KeyReference(account, region, null, identifier);
        }

        if (ArnPattern().Match(identifier) is { Success: true } m)
        {
            var resource = m.Groups[3].Value;
            return resource.StartsWith("key/", StringComparison.Ordinal)
                ? KeyIdPattern().IsMatch(resource[4..]) ? new KeyReference(m.Groups[2].Value, m.Groups[1].Value, resource[4..], null) : null
                : new KeyReference(m.Groups[2].Value, m.Groups[1].Value, null, resource);
        }

        return KeyIdPattern().IsMatch(identifier) ? new KeyReference(account, region, identifier, null) : null;
    }

    /// <summary>Alias names: <c>alias/</c> then 1-250 of <c>[a-zA-Z0-9/_-]</c> (CreateAlias, AliasName).</summary>
    public static bool IsValidAliasName(string name) => AliasPattern().IsMatch(name);

    [GeneratedRegex(@"^arn:aws:kms:([a-z0-9-]+):(\d{12}):((?:key|alias)/.+)$")]
    private static partial Regex ArnPattern();

    [GeneratedRegex("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")]
    private static partial Regex KeyIdPattern();

    [GeneratedRegex("^alias/[a-zA-Z0-9/_-]{1,250}$")]
    private static partial Regex AliasPattern();
}
