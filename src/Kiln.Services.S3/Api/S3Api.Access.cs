using Kiln.Core;
using Kiln.Model.S3;
using Kiln.Services.Iam.Authorization;
using Kiln.Services.S3.Domain;
using Kiln.Services.S3.Storage;

namespace Kiln.Services.S3.Api;

/// <summary>Bucket policies, block public access and ACLs.</summary>
internal sealed partial class S3Api
{
    public override Task PutBucketPolicyAsync(PutBucketPolicyRequest input, RequestContext context) =>
        objects.PutBucketPolicyAsync(context.AccountId, context.Principal.Arn, Required(input.Bucket, "Bucket"), input.Policy,
            context.Aborted);

    public override async Task<GetBucketPolicyOutput> GetBucketPolicyAsync(GetBucketPolicyRequest input, RequestContext context) =>
        new()
        {
            Policy = await objects.GetBucketPolicyAsync(context.AccountId, Required(input.Bucket, "Bucket"), context.Aborted)
                .ConfigureAwait(false),
        };

    public override Task DeleteBucketPolicyAsync(DeleteBucketPolicyRequest input, RequestContext context) =>
        objects.DeleteBucketPolicyAsync(context.AccountId, Required(input.Bucket, "Bucket"), context.Aborted);

    public override Task PutPublicAccessBlockAsync(PutPublicAccessBlockRequest input, RequestContext context)
    {
        var c = input.PublicAccessBlockConfiguration ?? throw S3Errors.MalformedXml();
        return objects.PutPublicAccessBlockAsync(context.AccountId, Required(input.Bucket, "Bucket"),
            new PublicAccessBlock(c.BlockPublicAcls == true, c.IgnorePublicAcls == true, c.BlockPublicPolicy == true,
                c.RestrictPublicBuckets == true), context.Aborted);
    }

    public override async Task<GetPublicAccessBlockOutput> GetPublicAccessBlockAsync(GetPublicAccessBlockRequest input,
        RequestContext context)
    {
        var b = await objects.GetPublicAccessBlockAsync(context.AccountId, Required(input.Bucket, "Bucket"), context.Aborted)
            .ConfigureAwait(false);
        return new GetPublicAccessBlockOutput
        {
            PublicAccessBlockConfiguration = new PublicAccessBlockConfiguration
            {
                BlockPublicAcls = b.BlockPublicAcls,
                IgnorePublicAcls = b.IgnorePublicAcls,
                BlockPublicPolicy = b.BlockPublicPolicy,
                RestrictPublicBuckets = b.RestrictPublicBuckets,
            },
        };
    }

    public override Task DeletePublicAccessBlockAsync(DeletePublicAccessBlockRequest input, RequestContext context) =>
        objects.DeletePublicAccessBlockAsync(context.AccountId, Required(input.Bucket, "Bucket"), context.Aborted);

    public override async Task<GetBucketAclOutput> GetBucketAclAsync(GetBucketAclRequest input, RequestContext context)
    {
        var bucket = await objects.CheckBucketAclAsync(context.AccountId, Required(input.Bucket, "Bucket"), null,
            context.Aborted).ConfigureAwait(false);
        return new GetBucketAclOutput { Owner = OwnerOf(bucket.OwnerAccountId), Grants = [OwnerGrant(bucket.OwnerAccountId)] };
    }

    /// <summary>Canned ACLs only: the owner keeps FULL_CONTROL, so a private ACL changes nothing and a
    /// public one is refused while BlockPublicAcls is on (grants are not otherwise stored).</summary>
    public override async Task PutBucketAclAsync(PutBucketAclRequest input, RequestContext context)
    {
        if (input.AccessControlPolicy is not null || input.GrantRead is not null || input.GrantWrite is not null ||
            input.GrantFullControl is not null || input.GrantReadACP is not null || input.GrantWriteACP is not null)
        {
            throw new Kiln.Core.Errors.AwsException("NotImplemented",
                "Kiln accepts canned ACLs (x-amz-acl) only; explicit grants are not implemented.", 501) { SenderFault = false };
        }

        await objects.CheckBucketAclAsync(context.AccountId, Required(input.Bucket, "Bucket"), input.ACL ?? "private",
            context.Aborted).ConfigureAwait(false);
    }

    public override async Task<GetObjectAclOutput> GetObjectAclAsync(GetObjectAclRequest input, RequestContext context)
    {
        var version = await objects.GetObjectTagsAsync(context.AccountId, Required(input.Bucket, "Bucket"),
            Required(input.Key, "Key"), input.VersionId, context.Aborted).ConfigureAwait(false);
        return new GetObjectAclOutput { Owner = OwnerOf(version.OwnerAccountId), Grants = [OwnerGrant(version.OwnerAccountId)] };
    }

    private static Grant OwnerGrant(string accountId) => new()
    {
        Grantee = new Grantee { ID = accountId, DisplayName = accountId, Type = "CanonicalUser" },
        Permission = "FULL_CONTROL",
    };
}

/// <summary>Hands the IAM authorizer a bucket's policy and owner for the request's S3 resource, so
/// bucket policies take part in every S3 decision.</summary>
internal sealed class BucketPolicySource : IResourcePolicySource
{
    private readonly ObjectService _objects;

    public BucketPolicySource(ObjectService objects)
    {
        _objects = objects;
        // From here on the authorize stage evaluates bucket policies, so the domain may let another
        // account through when its bucket has one.
        objects.BucketPoliciesEnforced = true;
    }

    public string Service => "s3";

    public async ValueTask<ResourcePolicy?> FindAsync(string resourceArn, RequestContext context)
    {
        const string prefix = "arn:aws:s3:::";
        // CreateBucket names a bucket the caller does not access yet: whoever owns an existing one,
        // the answer is the domain's BucketAlreadyExists / BucketAlreadyOwnedByYou, never a policy decision.
        if (!resourceArn.StartsWith(prefix, StringComparison.Ordinal) || context.Operation.Name == "CreateBucket")
        {
            return null;
        }

        var rest = resourceArn.AsSpan(prefix.Length);
        var slash = rest.IndexOf('/');
        var bucket = (slash < 0 ? rest : rest[..slash]).ToString();
        if (bucket.Length == 0)
        {
            return null;
        }

        var found = await _objects.FindBucketPolicyAsync(bucket, context.Aborted).ConfigureAwait(false);
        return found is { } f ? new ResourcePolicy(f.Owner, f.Policy) : null;
    }
}
