namespace Kiln.Services.Iam.Domain;

/// <summary>The kinds of IAM entity a store keeps, one document each, keyed by name within an
/// account (IAM names are unique per account and kind, whatever the path: "IAM object quotas").</summary>
public enum EntityKind
{
    User,
    Group,
    Role,
    Policy,
    /// <summary>Virtual MFA devices, keyed by device name (appended: the stored value is the ordinal).</summary>
    MfaDevice,
}

/// <summary>An identity that can carry policies: users, groups and roles.</summary>
public abstract class PolicyHolder
{
    public string Name { get; set; } = "";
    public string Path { get; set; } = "/";
    public string Id { get; set; } = "";
    public string Arn { get; set; } = "";
    public DateTimeOffset CreateDate { get; set; }
    /// <summary>ARNs of attached managed policies, in attachment order.</summary>
    public List<string> AttachedPolicies { get; set; } = [];
    /// <summary>Inline policies by name (IAM policy names are case-insensitive per identity).</summary>
    public SortedDictionary<string, string> InlinePolicies { get; set; } = new(StringComparer.Ordinal);
}

public sealed class IamUser : PolicyHolder
{
    public List<IamTag> Tags { get; set; } = [];
    public string? PermissionsBoundary { get; set; }
    /// <summary>Names of the groups the user belongs to (membership lives on the user).</summary>
    public List<string> Groups { get; set; } = [];
}

public sealed class IamGroup : PolicyHolder
{
}

public sealed class IamRole : PolicyHolder
{
    public string AssumeRolePolicyDocument { get; set; } = "";
    public string? Description { get; set; }
    public int MaxSessionDuration { get; set; } = 3600;
    public List<IamTag> Tags { get; set; } = [];
    public string? PermissionsBoundary { get; set; }
    public DateTimeOffset? LastUsedDate { get; set; }
    public string? LastUsedRegion { get; set; }
}

public sealed record IamTag(string Key, string Value);

/// <summary>A customer managed policy and its versions (at most five: "IAM object quotas").</summary>
public sealed class ManagedPolicy
{
    public string Name { get; set; } = "";
    public string Path { get; set; } = "/";
    public string Id { get; set; } = "";
    public string Arn { get; set; } = "";
    public string? Description { get; set; }
    public DateTimeOffset CreateDate { get; set; }
    public DateTimeOffset UpdateDate { get; set; }
    public string DefaultVersionId { get; set; } = "v1";
    /// <summary>The number the next version gets: IAM never reuses a deleted version's id.</summary>
    public int NextVersion { get; set; } = 2;
    public List<ManagedPolicyVersion> Versions { get; set; } = [];
    public List<IamTag> Tags { get; set; } = [];

    public ManagedPolicyVersion DefaultVersion => Versions.First(v => v.VersionId == DefaultVersionId);
}

public sealed record ManagedPolicyVersion(string VersionId, string Document, DateTimeOffset CreateDate);

/// <summary>A change to apply atomically with others: a document to write, or (null) to delete.</summary>
public sealed record EntityWrite(EntityKind Kind, string Name, object? Entity);

/// <summary>A virtual MFA device (CreateVirtualMFADevice). Its TOTP seed is sealed under the master
/// key and never leaves IAM after creation; <see cref="UserName"/> is set while it is enabled for a user.</summary>
public sealed class MfaDevice
{
    public string Name { get; set; } = "";
    public string Path { get; set; } = "/";
    /// <summary><c>arn:aws:iam::ACCOUNT:mfa{path}{name}</c>.</summary>
    public string SerialNumber { get; set; } = "";
    public byte[] SealedSeed { get; set; } = [];
    public DateTimeOffset CreateDate { get; set; }
    public string? UserName { get; set; }
    public DateTimeOffset? EnableDate { get; set; }
    public List<IamTag> Tags { get; set; } = [];
}
