using System.Text.Json.Nodes;
using Kiln.Services.S3.Storage;

namespace Kiln.Services.S3.Domain;

/// <summary>What a PutBucketAcl/PutObjectAcl asked for: a canned ACL, or explicit grants (from the
/// x-amz-grant-* headers or an AccessControlPolicy body). Both null: the default, private.</summary>
public sealed record AclInput(string? Canned, IReadOnlyList<AclGrant>? Grants);

/// <summary>Grants a PUT asked for, resolved against the bucket before the write.</summary>
public sealed record NewObjectAcl(BucketRecord Bucket, IReadOnlyList<AclGrant> Grants);

/// <summary>Object Ownership and ACLs. Under BucketOwnerEnforced (a new bucket's default, as in
/// S3 since April 2023) ACLs are disabled: only ACLs that grant the owner alone are accepted. With
/// ObjectWriter or BucketOwnerPreferred, grants are stored and returned, and take part in access
/// decisions: the authorize stage receives them as resource-policy statements (an ACL allow counts
/// as a resource-based policy allow), built by <see cref="AclStatements"/>.</summary>
public sealed partial class ObjectService
{
    public const string AllUsers = "http://acs.amazonaws.com/groups/global/AllUsers";
    public const string AuthenticatedUsers = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
    public const string LogDelivery = "http://acs.amazonaws.com/groups/s3/LogDelivery";

    private static readonly string[] s_permissions = ["FULL_CONTROL", "WRITE", "WRITE_ACP", "READ", "READ_ACP"];

    public async Task PutBucketOwnershipControlsAsync(string account, string name, string? ownership,
        CancellationToken cancellationToken)
    {
        var bucket = await OwnedBucketAsync(account, name, cancellationToken).ConfigureAwait(false);
        if (ownership is not (ObjectOwnership.BucketOwnerEnforced or ObjectOwnership.BucketOwnerPreferred
            or ObjectOwnership.ObjectWriter))
        {
            throw S3Errors.MalformedXml();
        }

        var access = AccessOf(bucket);
        if (ownership == ObjectOwnership.BucketOwnerEnforced && !OwnerOnly(access.Acl, bucket.OwnerAccountId))
        {
            throw AccessErrors.InvalidBucketAclWithObjectOwnership();
        }

        AccessStore.Put(access with { Ownership = ownership });
    }

    public async Task<string> GetBucketOwnershipControlsAsync(string account, string name,
        CancellationToken cancellationToken)
    {
        var bucket = await OwnedBucketAsync(account, name, cancellationToken).ConfigureAwait(false);
        return AccessOf(bucket).Ownership ?? throw AccessErrors.OwnershipControlsNotFound(name);
    }

    public async Task DeleteBucketOwnershipControlsAsync(string account, string name, CancellationToken cancellationToken)
    {
        var bucket = await OwnedBucketAsync(account, name, cancellationToken).ConfigureAwait(false);
        AccessStore.Put(AccessOf(bucket) with { Ownership = null });
    }

    /// <summary>The bucket and its ACL (the owner's FULL_CONTROL unless grants were written).</summary>
    public async Task<(BucketRecord Bucket, IReadOnlyList<AclGrant> Grants)> GetBucketAclAsync(string account,
        string name, CancellationToken cancellationToken)
    {
        var bucket = await OwnedBucketAsync(account, name, cancellationToken).ConfigureAwait(false);
        return (bucket, AccessOf(bucket).Acl ?? [OwnerGrant(bucket.OwnerAccountId)]);
    }

    public async Task PutBucketAclAsync(string account, string name, AclInput input, CancellationToken cancellationToken)
    {
        var bucket = await OwnedBucketAsync(account, name, cancellationToken).ConfigureAwait(false);
        var access = AccessOf(bucket);
        var grants = ResolveAcl(bucket, access, input, bucket.OwnerAccountId, objectAcl: false);
        AccessStore.Put(access with { Acl = OwnerOnly(grants, bucket.OwnerAccountId) ? null : grants });
    }

    /// <summary>An object version's owner and ACL.</summary>
    public async Task<(ObjectVersionRecord Version, IReadOnlyList<AclGrant> Grants)> GetObjectAclAsync(string account,
        string bucketName, string key, string? versionId, CancellationToken cancellationToken)
    {
        var version = await GetObjectTagsAsync(account, bucketName, key, versionId, cancellationToken).ConfigureAwait(false);
        var bucket = await GetBucketAsync(account, bucketName, cancellationToken).ConfigureAwait(false);
        var grants = AccessStore.GetObjectAcl(bucket.Name, bucket.CreatedAt, version.Key, version.VersionId, version.Sequence);
        return (version, grants ?? [OwnerGrant(version.OwnerAccountId)]);
    }

    public async Task<ObjectVersionRecord> PutObjectAclAsync(string account, string bucketName, string key,
        string? versionId, AclInput input, CancellationToken cancellationToken)
    {
        var version = await GetObjectTagsAsync(account, bucketName, key, versionId, cancellationToken).ConfigureAwait(false);
        var bucket = await GetBucketAsync(account, bucketName, cancellationToken).ConfigureAwait(false);
        var grants = ResolveAcl(bucket, AccessOf(bucket), input, version.OwnerAccountId, objectAcl: true);
        StoreObjectAcl(bucket, version, OwnerOnly(grants, version.OwnerAccountId) ? null : grants);
        return version;
    }

    /// <summary>x-amz-acl / x-amz-grant-* on a PUT: checked before anything is written. Null when
    /// there is nothing to store: no ACL asked for, the owner-only default, or a bucket with ACLs
    /// disabled (BucketOwnerEnforced), which accepts bucket-owner-full-control from any writer.</summary>
    public async Task<NewObjectAcl?> ResolveNewObjectAclAsync(string account, string bucketName, AclInput input,
        CancellationToken cancellationToken)
    {
        if (input.Canned is null && input.Grants is null)
        {
            return null;
        }

        var bucket = await GetBucketAsync(account, bucketName, cancellationToken).ConfigureAwait(false);
        var access = AccessOf(bucket);
        if (access.Ownership == ObjectOwnership.BucketOwnerEnforced && input.Canned == "bucket-owner-full-control")
        {
            return null;
        }

        var grants = ResolveAcl(bucket, access, input, account, objectAcl: true);
        return access.Ownership == ObjectOwnership.BucketOwnerEnforced || OwnerOnly(grants, account)
            ? null
            : new NewObjectAcl(bucket, grants);
    }

    /// <summary>Stores the grants resolved before the write with the version the write made.</summary>
    public void StoreNewObjectAcl(NewObjectAcl acl, ObjectVersionRecord version) =>
        StoreObjectAcl(acl.Bucket, version, acl.Grants);

    /// <summary>Grants for exactly this write of the version (its sequence), in this incarnation of the bucket.</summary>
    private void StoreObjectAcl(BucketRecord bucket, ObjectVersionRecord version, IReadOnlyList<AclGrant>? grants) =>
        AccessStore.PutObjectAcl(bucket.Name, bucket.CreatedAt, version.Key, version.VersionId, version.Sequence, grants);

    /// <summary>The grants an ACL request amounts to, checked against the bucket's ownership and
    /// block-public-access settings.</summary>
    private List<AclGrant> ResolveAcl(BucketRecord bucket, BucketAccessRecord access, AclInput input, string owner,
        bool objectAcl)
    {
        var grants = RequestedGrants(bucket, input, owner, objectAcl);
        // ACLs disabled comes first: S3 answers a public-read PUT to a new bucket (ACLs disabled and
        // public access blocked) with AccessControlListNotSupported.
        if (access.Ownership == ObjectOwnership.BucketOwnerEnforced && !BucketOwnerFullControlOnly(grants, bucket))
        {
            throw AccessErrors.AccessControlListNotSupported();
        }

        if (grants.Any(IsPublicGrant) && EffectiveBlock(bucket, access).BlockPublicAcls)
        {
            throw S3Errors.AccessDenied();
        }

        return grants;
    }

    private static bool BucketOwnerFullControlOnly(List<AclGrant> grants, BucketRecord bucket) =>
        grants.All(g => g.GranteeType == "CanonicalUser" && g.Id == bucket.OwnerAccountId && g.Permission == "FULL_CONTROL");

    /// <summary>The grants a canned ACL or explicit grants amount to (S3 refuses both at once).</summary>
    private static List<AclGrant> RequestedGrants(BucketRecord bucket, AclInput input, string owner, bool objectAcl)
    {
        if (input.Canned is not null && input.Grants is not null)
        {
            throw S3Errors.InvalidRequest("Specifying both Canned ACLs and Header Grants is not allowed");
        }

        return input.Grants is { } explicitGrants
            ? CheckGrants(explicitGrants)
            : CannedGrants(input.Canned ?? "private", owner, bucket.OwnerAccountId, objectAcl);
    }

    /// <summary>A new bucket's Object Ownership (x-amz-object-ownership; BucketOwnerEnforced when absent)
    /// and ACL (x-amz-acl, x-amz-grant-*), checked before the bucket is created: ACL grants beyond the
    /// owner under BucketOwnerEnforced are InvalidBucketAclWithObjectOwnership, public ones are refused
    /// while public access is blocked (a new bucket blocks it). Null when the defaults apply.</summary>
    public BucketAccessRecord? NewBucketAccess(BucketRecord bucket, string? ownership, AclInput input)
    {
        if (ownership is not (null or ObjectOwnership.BucketOwnerEnforced or ObjectOwnership.BucketOwnerPreferred
            or ObjectOwnership.ObjectWriter))
        {
            throw S3Errors.InvalidArgument("Invalid x-amz-object-ownership header", "x-amz-object-ownership", ownership);
        }

        var access = new BucketAccessRecord(bucket.Name, bucket.CreatedAt)
        {
            Ownership = ownership ?? ObjectOwnership.BucketOwnerEnforced,
        };
        if (input.Canned is null && input.Grants is null)
        {
            return ownership is null or ObjectOwnership.BucketOwnerEnforced ? null : access;
        }

        if (access.Ownership == ObjectOwnership.BucketOwnerEnforced)
        {
            return BucketOwnerFullControlOnly(RequestedGrants(bucket, input, bucket.OwnerAccountId, objectAcl: false), bucket)
                ? null
                : throw AccessErrors.InvalidBucketAclWithObjectOwnership();
        }

        var grants = ResolveAcl(bucket, access, input, bucket.OwnerAccountId, objectAcl: false);
        return access with { Acl = OwnerOnly(grants, bucket.OwnerAccountId) ? null : grants };
    }

    private static List<AclGrant> CannedGrants(string canned, string owner, string bucketOwner, bool objectAcl)
    {
        var ownerGrant = OwnerGrant(owner);
        return canned switch
        {
            "private" => [ownerGrant],
            "public-read" => [ownerGrant, Group(AllUsers, "READ")],
            "public-read-write" => [ownerGrant, Group(AllUsers, "READ"), Group(AllUsers, "WRITE")],
            "authenticated-read" => [ownerGrant, Group(AuthenticatedUsers, "READ")],
            "aws-exec-read" => [ownerGrant],
            "log-delivery-write" when !objectAcl => [ownerGrant, Group(LogDelivery, "WRITE"), Group(LogDelivery, "READ_ACP")],
            "bucket-owner-read" when objectAcl => owner == bucketOwner
                ? [ownerGrant]
                : [ownerGrant, new AclGrant("CanonicalUser", bucketOwner, null, "READ")],
            "bucket-owner-full-control" when objectAcl => owner == bucketOwner
                ? [ownerGrant]
                : [ownerGrant, OwnerGrant(bucketOwner)],
            // On a bucket these two name the bucket's own owner: the owner-only default.
            "bucket-owner-read" or "bucket-owner-full-control" => [ownerGrant],
            _ => throw S3Errors.InvalidArgument("Invalid canned ACL", "x-amz-acl", canned),
        };

        static AclGrant Group(string uri, string permission) => new("Group", null, uri, permission);
    }

    private static List<AclGrant> CheckGrants(IReadOnlyList<AclGrant> grants)
    {
        foreach (var g in grants)
        {
            if (!s_permissions.Contains(g.Permission, StringComparer.Ordinal))
            {
                throw S3Errors.MalformedXml();
            }

            switch (g.GranteeType)
            {
                case "CanonicalUser" when g.Id is { Length: 12 } id && id.All(char.IsAsciiDigit):
                    break;
                case "CanonicalUser":
                    throw S3Errors.InvalidArgument("Invalid id", "CanonicalUser/ID", g.Id ?? "");
                case "Group" when g.Uri is AllUsers or AuthenticatedUsers or LogDelivery:
                    break;
                case "Group":
                    throw S3Errors.InvalidArgument("Invalid group uri", "Group/URI", g.Uri ?? "");
                case "AmazonCustomerByEmail":
                    throw AccessErrors.UnresolvableGrantByEmailAddress();
                default:
                    throw S3Errors.MalformedXml();
            }
        }

        return [.. grants];
    }

    private static AclGrant OwnerGrant(string account) => new("CanonicalUser", account, null, "FULL_CONTROL");

    private static bool OwnerOnly(IReadOnlyList<AclGrant>? grants, string owner) =>
        grants is null || grants.All(g => g.GranteeType == "CanonicalUser" && g.Id == owner);

    private static bool IsPublicGrant(AclGrant grant) =>
        grant.GranteeType == "Group" && grant.Uri is AllUsers or AuthenticatedUsers;

    /// <summary>Whether the bucket's ACLs take part in access decisions (ownership is not
    /// BucketOwnerEnforced, which disables them).</summary>
    private static bool AclsEnabled(BucketAccessRecord access) =>
        access.Ownership != ObjectOwnership.BucketOwnerEnforced;

    /// <summary>The bucket's and (for an object request) the object's ACL grants to anyone but the
    /// owner, as resource-policy statements, following S3's mapping of ACL permissions to policy
    /// actions (S3 User Guide, "Access control list (ACL) overview"). Public grants are left out
    /// while IgnorePublicAcls is in force.</summary>
    internal JsonArray AclStatements(BucketRecord bucket, BucketAccessRecord access, IReadOnlyList<AclGrant>? objectGrants,
        string? key)
    {
        var statements = new JsonArray();
        var ignorePublic = EffectiveBlock(bucket, access).IgnorePublicAcls;
        var bucketArn = "arn:aws:s3:::" + bucket.Name;
        foreach (var g in access.Acl ?? [])
        {
            if (Principal(g, bucket.OwnerAccountId, ignorePublic) is not { } principal)
            {
                continue;
            }

            var read = g.Permission is "READ" or "FULL_CONTROL";
            var write = g.Permission is "WRITE" or "FULL_CONTROL";
            var readAcp = g.Permission is "READ_ACP" or "FULL_CONTROL";
            var writeAcp = g.Permission is "WRITE_ACP" or "FULL_CONTROL";
            Add(principal, bucketArn, read, "s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads");
            Add(principal, bucketArn + "/*", write, "s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion",
                "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts");
            Add(principal, bucketArn, readAcp, "s3:GetBucketAcl");
            Add(principal, bucketArn, writeAcp, "s3:PutBucketAcl");
        }

        foreach (var g in key is null ? [] : objectGrants ?? [])
        {
            if (Principal(g, bucket.OwnerAccountId, ignorePublic) is not { } principal)
            {
                continue;
            }

            var objectArn = bucketArn + "/" + key;
            Add(principal, objectArn, g.Permission is "READ" or "FULL_CONTROL", "s3:GetObject", "s3:GetObjectVersion");
            Add(principal, objectArn, g.Permission is "READ_ACP" or "FULL_CONTROL", "s3:GetObjectAcl",
                "s3:GetObjectVersionAcl");
            Add(principal, objectArn, g.Permission is "WRITE_ACP" or "FULL_CONTROL", "s3:PutObjectAcl",
                "s3:PutObjectVersionAcl");
        }

        return statements;

        void Add(JsonNode principal, string resource, bool when, params string[] actions)
        {
            if (when)
            {
                statements.Add(new JsonObject
                {
                    ["Effect"] = "Allow",
                    ["Principal"] = principal.DeepClone(),
                    ["Action"] = new JsonArray(actions.Select(a => (JsonNode)JsonValue.Create(a)!).ToArray()),
                    ["Resource"] = resource,
                });
            }
        }
    }

    private static JsonNode? Principal(AclGrant grant, string owner, bool ignorePublic) => grant switch
    {
        { GranteeType: "CanonicalUser", Id: { } id } when id != owner =>
            new JsonObject { ["AWS"] = $"arn:aws:iam::{id}:root" },
        { GranteeType: "Group" } when IsPublicGrant(grant) && !ignorePublic => JsonValue.Create("*"),
        _ => null,
    };
}
