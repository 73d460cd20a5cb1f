using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kiln.Core.Errors;
using Kiln.Policy;
using Kiln.Services.S3.Storage;

namespace Kiln.Services.S3.Domain;

/// <summary>Bucket policies, block public access and canned ACLs. The policy is enforced by the
/// gateway's authorize stage (IAM's authorizer asks <see cref="FindBucketPolicyAsync"/>); here it
/// is validated, stored, and refused when public while BlockPublicPolicy is on.</summary>
public sealed partial class ObjectService
{
    // Parsed policies by bucket incarnation: parse once on write, evaluate on every request.
    private readonly ConcurrentDictionary<(string, DateTimeOffset), Policy.Policy?> _policies = new();

    /// <summary>Bucket access settings, kept by the metadata store (so CreateBucket writes a bucket and its
    /// settings in one commit).</summary>
    public IBucketAccessStore AccessStore => store.Access;

    // Condition keys whose fixed value makes a "*" grant non-public ("Blocking public access to your
    // Amazon S3 storage", S3 User Guide, "The meaning of public").
    private static readonly string[] s_restrictingKeys =
    [
        "aws:SourceIp", "aws:SourceArn", "aws:SourceVpc", "aws:SourceVpce", "aws:SourceOwner", "aws:SourceAccount",
        "aws:PrincipalAccount", "aws:PrincipalArn", "aws:PrincipalOrgID", "aws:PrincipalOrgPaths", "aws:userid",
        "aws:PrincipalServiceName", "aws:SourceOrgID", "s3:DataAccessPointArn", "s3:DataAccessPointAccount",
    ];

    private BucketAccessRecord AccessOf(BucketRecord bucket) =>
        AccessStore.Get(bucket.Name, bucket.CreatedAt) ?? new BucketAccessRecord(bucket.Name, bucket.CreatedAt);

    /// <summary>Only the owning account manages a bucket's access settings.</summary>
    private async Task<BucketRecord> OwnedBucketAsync(string account, string name, CancellationToken cancellationToken)
    {
        var bucket = await store.GetBucketAsync(name, cancellationToken).ConfigureAwait(false)
                     ?? throw S3Errors.NoSuchBucket(name);
        return bucket.OwnerAccountId == account ? bucket : throw S3Errors.AccessDenied();
    }

    /// <summary>True once the gateway's authorizer evaluates bucket policies (it registers itself): only
    /// then may another account reach a bucket, and only one whose policy the authorizer found to allow it.</summary>
    public bool BucketPoliciesEnforced { get; set; }

    /// <summary>The owner-only rule's exception: another account passed the authorize stage, which
    /// requires the bucket policy to allow it across accounts.</summary>
    private bool SharedByPolicy(BucketRecord bucket) =>
        BucketPoliciesEnforced && AccessOf(bucket) is var access && (access.Policy is not null || AclsEnabled(access));

    /// <param name="principalArn">The caller, named in AWS's message when a public policy is blocked.</param>
    public async Task PutBucketPolicyAsync(string account, string principalArn, string name, string? document,
        CancellationToken cancellationToken)
    {
        var bucket = await OwnedBucketAsync(account, name, cancellationToken).ConfigureAwait(false);
        if (string.IsNullOrWhiteSpace(document))
        {
            throw AccessErrors.MalformedPolicy("Policies must be valid JSON and the first byte must be '{'");
        }

        if (!Policy.Policy.TryParse(document, PolicyKind.Resource, out var policy, out var error))
        {
            throw AccessErrors.MalformedPolicy(error ?? "Invalid policy");
        }

        var access = AccessOf(bucket);
        if (EffectiveBlock(bucket, access).BlockPublicPolicy && IsPublic(document))
        {
            throw AccessErrors.PublicPolicyBlocked(principalArn, name);
        }

        AccessStore.Put(access with { Policy = document });
        _policies[(bucket.Name, bucket.CreatedAt)] = policy;
        _restrictedPolicies.TryRemove((bucket.Name, bucket.CreatedAt), out _);
    }

    public async Task<string> GetBucketPolicyAsync(string account, string name, CancellationToken cancellationToken)
    {
        var bucket = await OwnedBucketAsync(account, name, cancellationToken).ConfigureAwait(false);
        return AccessOf(bucket).Policy ?? throw AccessErrors.NoSuchBucketPolicy(name);
    }

    public async Task DeleteBucketPolicyAsync(string account, string name, CancellationToken cancellationToken)
    {
        var bucket = await OwnedBucketAsync(account, name, cancellationToken).ConfigureAwait(false);
        AccessStore.Put(AccessOf(bucket) with { Policy = null });
        _policies[(bucket.Name, bucket.CreatedAt)] = null;
        _restrictedPolicies.TryRemove((bucket.Name, bucket.CreatedAt), out _);
    }

    public async Task PutPublicAccessBlockAsync(string account, string name, PublicAccessBlock block,
        CancellationToken cancellationToken)
    {
        var bucket = await OwnedBucketAsync(account, name, cancellationToken).ConfigureAwait(false);
        AccessStore.Put(AccessOf(bucket) with { PublicAccessBlock = block });
    }

    public async Task<PublicAccessBlock> GetPublicAccessBlockAsync(string account, string name,
        CancellationToken cancellationToken)
    {
        var bucket = await OwnedBucketAsync(account, name, cancellationToken).ConfigureAwait(false);
        return AccessOf(bucket).PublicAccessBlock ?? throw AccessErrors.NoSuchPublicAccessBlockConfiguration(name);
    }

    public async Task DeletePublicAccessBlockAsync(string account, string name, CancellationToken cancellationToken)
    {
        var bucket = await OwnedBucketAsync(account, name, cancellationToken).ConfigureAwait(false);
        AccessStore.Put(AccessOf(bucket) with { PublicAccessBlock = null });
    }

    /// <summary>The owner account and parsed policy of a bucket, for the authorize stage; null when
    /// the bucket does not exist (the handler then answers NoSuchBucket). With a caller, the policy is
    /// the one in force for it: without its public statements when RestrictPublicBuckets keeps the
    /// caller out, and with the bucket's (and, given a key, the object's) ACL grants added as
    /// statements when the bucket's ownership setting enables ACLs.</summary>
    /// <param name="versionId">The object version the request names: its ACL, not the latest version's,
    /// applies. A version that does not exist (or a malformed id) contributes no grants, as a missing key
    /// does: the caller then needs another allow, and the handler answers NoSuchVersion to one who has it.</param>
    public async Task<(string Owner, Policy.Policy? Policy)?> FindBucketPolicyAsync(string name,
        CancellationToken cancellationToken, string? callerAccount = null, string? key = null, string? versionId = null)
    {
        var bucket = await store.GetBucketAsync(name, cancellationToken).ConfigureAwait(false);
        if (bucket is null)
        {
            return null;
        }

        var access = AccessOf(bucket);
        var restricted = callerAccount is not null && Restricts(bucket, access, callerAccount);
        var document = restricted ? RestrictedDocument(access.Policy!) : access.Policy;
        if (callerAccount is not null && AclsEnabled(access))
        {
            IReadOnlyList<AclGrant>? objectGrants = null;
            if (key is { Length: > 0 } &&
                await store.GetVersionAsync(bucket.Name, key, versionId, cancellationToken).ConfigureAwait(false) is { } version)
            {
                objectGrants = AccessStore.GetObjectAcl(bucket.Name, bucket.CreatedAt, version.Key, version.VersionId,
                    version.Sequence);
            }

            var acl = AclStatements(bucket, access, objectGrants, key);
            if (acl.Count > 0)
            {
                var merged = document is null ? new JsonObject { ["Version"] = "2012-10-17", ["Statement"] = new JsonArray() }
                    : JsonNode.Parse(document)!.AsObject();
                var statements = merged["Statement"] as JsonArray ?? new JsonArray(merged["Statement"]?.DeepClone());
                foreach (var s in acl)
                {
                    statements.Add(s!.DeepClone());
                }

                merged["Statement"] = statements;
                return (bucket.OwnerAccountId, Policy.Policy.Parse(merged.ToJsonString(), PolicyKind.Resource, bucket.Name));
            }
        }

        if (restricted)
        {
            return (bucket.OwnerAccountId, RestrictedPolicy(bucket, access.Policy!));
        }

        var cacheKey = (bucket.Name, bucket.CreatedAt);
        if (!_policies.TryGetValue(cacheKey, out var policy))
        {
            policy = document is null ? null : Policy.Policy.Parse(document, PolicyKind.Resource, bucket.Name);
            _policies[cacheKey] = policy;
        }

        return (bucket.OwnerAccountId, policy);
    }

    /// <summary>Whether a bucket policy grants access to everyone ("*" principal) without a condition
    /// that pins the caller or the network.</summary>
    internal static bool IsPublic(string document)
    {
        using var json = JsonDocument.Parse(document);
        if (!json.RootElement.TryGetProperty("Statement", out var statements))
        {
            return false;
        }

        IEnumerable<JsonElement> list = statements.ValueKind == JsonValueKind.Array
            ? statements.EnumerateArray().ToList()
            : [statements];
        foreach (var s in list)
        {
            if (!s.TryGetProperty("Effect", out var effect) || effect.GetString() != "Allow")
            {
                continue;
            }

            var everyone = s.TryGetProperty("Principal", out var principal) && NamesEveryone(principal);
            if (everyone && !Restricted(s))
            {
                return true;
            }
        }

        return false;
    }

    private static bool NamesEveryone(JsonElement principal)
    {
        if (principal.ValueKind == JsonValueKind.String)
        {
            return principal.GetString() == "*";
        }

        if (principal.ValueKind != JsonValueKind.Object || !principal.TryGetProperty("AWS", out var aws))
        {
            return false;
        }

        return aws.ValueKind == JsonValueKind.String
            ? aws.GetString() == "*"
            : aws.ValueKind == JsonValueKind.Array && aws.EnumerateArray().Any(a => a.GetString() == "*");
    }

    private static bool Restricted(JsonElement statement)
    {
        if (!statement.TryGetProperty("Condition", out var condition) || condition.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        foreach (var op in condition.EnumerateObject())
        {
            if (op.Value.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            foreach (var key in op.Value.EnumerateObject())
            {
                if (s_restrictingKeys.Any(k => string.Equals(k, key.Name, StringComparison.OrdinalIgnoreCase)) &&
                    !op.Name.Contains("Not", StringComparison.Ordinal))
                {
                    return true;
                }
            }
        }

        return false;
    }
}

/// <summary>S3's access errors, worded as S3 answers them.</summary>
internal static class AccessErrors
{
    public static AwsException MalformedPolicy(string message) => new("MalformedPolicy", message, 400);

    public static AwsException NoSuchBucketPolicy(string bucket) =>
        new("NoSuchBucketPolicy", "The bucket policy does not exist", 404) { Fields = { ["BucketName"] = bucket } };

    public static AwsException NoSuchPublicAccessBlockConfiguration(string bucket) =>
        new("NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found", 404)
        {
            Fields = { ["BucketName"] = bucket },
        };

    public static AwsException PublicPolicyBlocked(string principalArn, string bucket) =>
        new("AccessDenied",
            $"User: {principalArn} is not authorized to perform: s3:PutBucketPolicy on resource: \"arn:aws:s3:::{bucket}\" " +
            "because public policies are blocked by the BlockPublicPolicy block public access setting.", 403);

    public static AwsException NoSuchCorsConfiguration(string bucket) =>
        new("NoSuchCORSConfiguration", "The CORS configuration does not exist", 404) { Fields = { ["BucketName"] = bucket } };

    public static AwsException CorsBadRequest(string message) => new("BadRequest", message, 400);

    public static AwsException CorsNotEnabled(string method, string resourceType) =>
        new("AccessForbidden", "CORSResponse: CORS is not enabled for this bucket.", 403)
        {
            Fields = { ["Method"] = method, ["ResourceType"] = resourceType },
        };

    // S3's message keeps its misspelling ("evalution").
    public static AwsException CorsNotAllowed(string method, string resourceType) =>
        new("AccessForbidden",
            "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, " +
            "request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted " +
            "by the resource's CORS spec.", 403)
        {
            Fields = { ["Method"] = method, ["ResourceType"] = resourceType },
        };

    public static AwsException NoSuchAccountPublicAccessBlock(string account) =>
        new("NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found", 404)
        {
            Fields = { ["AccountId"] = account },
        };

    public static AwsException AccessControlListNotSupported() =>
        new("AccessControlListNotSupported", "The bucket does not allow ACLs", 400);

    public static AwsException OwnershipControlsNotFound(string bucket) =>
        new("OwnershipControlsNotFoundError", "The bucket ownership controls were not found", 404)
        {
            Fields = { ["BucketName"] = bucket },
        };

    public static AwsException InvalidBucketAclWithObjectOwnership() =>
        new("InvalidBucketAclWithObjectOwnership",
            "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting", 400);

    public static AwsException UnresolvableGrantByEmailAddress() =>
        new("UnresolvableGrantByEmailAddress",
            "The e-mail address you provided does not match any account on record.", 400);
}
