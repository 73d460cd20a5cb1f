using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Kiln.Policy;
using Kiln.Services.S3.Storage;

namespace Kiln.Services.S3.Domain;

/// <summary>Account-level block public access (S3 Control Put/Get/DeletePublicAccessBlock). S3
/// applies the most restrictive combination of the account's and the bucket's settings: a flag on
/// at either level is on (S3 User Guide, "Blocking public access to your Amazon S3 storage").</summary>
public sealed partial class ObjectService
{
    // Account settings by account id, read once from the store; a missing entry is "not loaded".
    private readonly ConcurrentDictionary<string, PublicAccessBlock?> _accountBlocks = new(StringComparer.Ordinal);

    // Bucket policies without their public statements, for callers RestrictPublicBuckets keeps out.
    private readonly ConcurrentDictionary<(string, DateTimeOffset), Policy.Policy?> _restrictedPolicies = new();

    public void PutAccountPublicAccessBlock(string account, PublicAccessBlock block)
    {
        AccessStore.PutAccountBlock(account, block);
        _accountBlocks[account] = block;
    }

    public PublicAccessBlock GetAccountPublicAccessBlock(string account) =>
        AccountBlock(account) ?? throw AccessErrors.NoSuchAccountPublicAccessBlock(account);

    public void DeleteAccountPublicAccessBlock(string account)
    {
        AccessStore.PutAccountBlock(account, null);
        _accountBlocks[account] = null;
    }

    private PublicAccessBlock? AccountBlock(string account) =>
        _accountBlocks.GetOrAdd(account, a => AccessStore.GetAccountBlock(a));

    /// <summary>The settings in force for a bucket: each flag on when the bucket's or its owner
    /// account's configuration turns it on.</summary>
    internal PublicAccessBlock EffectiveBlock(BucketRecord bucket, BucketAccessRecord? access = null)
    {
        var b = (access ?? AccessOf(bucket)).PublicAccessBlock;
        var a = AccountBlock(bucket.OwnerAccountId);
        return new PublicAccessBlock(
            b?.BlockPublicAcls == true || a?.BlockPublicAcls == true,
            b?.IgnorePublicAcls == true || a?.IgnorePublicAcls == true,
            b?.BlockPublicPolicy == true || a?.BlockPublicPolicy == true,
            b?.RestrictPublicBuckets == true || a?.RestrictPublicBuckets == true);
    }

    /// <summary>RestrictPublicBuckets: while the bucket's policy is public, only the owner's account
    /// is let in by it. For any other caller the policy is evaluated without its public statements
    /// (its denies and its grants to named principals still apply).</summary>
    private Policy.Policy? RestrictedPolicy(BucketRecord bucket, string document) =>
        _restrictedPolicies.GetOrAdd((bucket.Name, bucket.CreatedAt), k =>
            Policy.Policy.TryParse(RestrictedDocument(document), PolicyKind.Resource, out var policy, out _)
                ? policy
                : null);

    private static string RestrictedDocument(string document)
    {
        var root = JsonNode.Parse(document)!.AsObject();
        var statements = root["Statement"] is JsonArray array ? array.ToList() : [root["Statement"]];
        var kept = new JsonArray();
        foreach (var s in statements)
        {
            if (s is not null && !IsPublic($$"""{"Statement":[{{s.ToJsonString()}}]}"""))
            {
                kept.Add(s.DeepClone());
            }
        }

        root["Statement"] = kept;
        return root.ToJsonString();
    }

    /// <summary>Whether the caller is kept out of a public bucket by RestrictPublicBuckets, in which
    /// case the authorize stage gets <see cref="RestrictedPolicy"/> instead of the whole policy.</summary>
    private bool Restricts(BucketRecord bucket, BucketAccessRecord access, string callerAccount) =>
        callerAccount != bucket.OwnerAccountId && access.Policy is { } document &&
        EffectiveBlock(bucket, access).RestrictPublicBuckets && IsPublic(document);
}
