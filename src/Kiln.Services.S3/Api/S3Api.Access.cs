using Kiln.Core;
using Kiln.Model.S3;
using Kiln.Services.Iam.Authorization;
using Kiln.Services.S3.Domain;
using Kiln.Services.S3.Storage;

namespace Kiln.Services.S3.Api;

/// <summary>Bucket policies, block public access, CORS, object ownership and ACLs.</summary>
internal sealed partial class S3Api
{
    public override Task PutBucketCorsAsync(PutBucketCorsRequest input, RequestContext context) =>
        objects.PutBucketCorsAsync(context.AccountId, Required(input.Bucket, "Bucket"),
            input.CORSConfiguration?.CORSRules?.Select(r => new CorsRule(r.ID, r.AllowedMethods ?? [],
                r.AllowedOrigins ?? [], r.AllowedHeaders ?? [], r.ExposeHeaders ?? [], r.MaxAgeSeconds)).ToList(),
            context.Aborted);

    public override async Task<GetBucketCorsOutput> GetBucketCorsAsync(GetBucketCorsRequest input, RequestContext context)
    {
        var rules = await objects.GetBucketCorsAsync(context.AccountId, Required(input.Bucket, "Bucket"), context.Aborted)
            .ConfigureAwait(false);
        return new GetBucketCorsOutput
        {
            CORSRules = rules.Select(r => new CORSRule
            {
                ID = r.Id,
                AllowedMethods = [.. r.AllowedMethods],
                AllowedOrigins = [.. r.AllowedOrigins],
                AllowedHeaders = r.AllowedHeaders.Count == 0 ? null : [.. r.AllowedHeaders],
                ExposeHeaders = r.ExposeHeaders.Count == 0 ? null : [.. r.ExposeHeaders],
                MaxAgeSeconds = r.MaxAgeSeconds,
            }).ToList(),
        };
    }

    public override Task DeleteBucketCorsAsync(DeleteBucketCorsRequest input, RequestContext context) =>
        objects.DeleteBucketCorsAsync(context.AccountId, Required(input.Bucket, "Bucket"), context.Aborted);

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

    public override async Task PutBucketOwnershipControlsAsync(PutBucketOwnershipControlsRequest input,
        RequestContext context)
    {
        var rules = input.OwnershipControls?.Rules;
        if (rules is not { Count: 1 })
        {
            throw S3Errors.MalformedXml();
        }

        await objects.PutBucketOwnershipControlsAsync(context.AccountId, Required(input.Bucket, "Bucket"),
            rules[0].ObjectOwnership, context.Aborted).ConfigureAwait(false);
    }

    public override async Task<GetBucketOwnershipControlsOutput> GetBucketOwnershipControlsAsync(
        GetBucketOwnershipControlsRequest input, RequestContext context)
    {
        var ownership = await objects.GetBucketOwnershipControlsAsync(context.AccountId, Required(input.Bucket, "Bucket"),
            context.Aborted).ConfigureAwait(false);
        return new GetBucketOwnershipControlsOutput
        {
            OwnershipControls = new OwnershipControls { Rules = [new OwnershipControlsRule { ObjectOwnership = ownership }] },
        };
    }

    public override Task DeleteBucketOwnershipControlsAsync(DeleteBucketOwnershipControlsRequest input,
        RequestContext context) =>
        objects.DeleteBucketOwnershipControlsAsync(context.AccountId, Required(input.Bucket, "Bucket"), context.Aborted);

    public override async Task<GetBucketAclOutput> GetBucketAclAsync(GetBucketAclRequest input, RequestContext context)
    {
        var (bucket, grants) = await objects.GetBucketAclAsync(context.AccountId, Required(input.Bucket, "Bucket"),
            context.Aborted).ConfigureAwait(false);
        return new GetBucketAclOutput { Owner = OwnerOf(bucket.OwnerAccountId), Grants = WireGrants(grants) };
    }

    public override Task PutBucketAclAsync(PutBucketAclRequest input, RequestContext context) =>
        objects.PutBucketAclAsync(context.AccountId, Required(input.Bucket, "Bucket"),
            AclOf(input.ACL, input.AccessControlPolicy, input.GrantFullControl, input.GrantRead, input.GrantReadACP,
                input.GrantWrite, input.GrantWriteACP), context.Aborted);

    public override async Task<GetObjectAclOutput> GetObjectAclAsync(GetObjectAclRequest input, RequestContext context)
    {
        var (version, grants) = await objects.GetObjectAclAsync(context.AccountId, Required(input.Bucket, "Bucket"),
            Required(input.Key, "Key"), input.VersionId, context.Aborted).ConfigureAwait(false);
        return new GetObjectAclOutput { Owner = OwnerOf(version.OwnerAccountId), Grants = WireGrants(grants) };
    }

    public override async Task<PutObjectAclOutput> PutObjectAclAsync(PutObjectAclRequest input, RequestContext context)
    {
        await objects.PutObjectAclAsync(context.AccountId, Required(input.Bucket, "Bucket"), Required(input.Key, "Key"),
            input.VersionId, AclOf(input.ACL, input.AccessControlPolicy, input.GrantFullControl, input.GrantRead,
                input.GrantReadACP, input.GrantWrite, input.GrantWriteACP), context.Aborted).ConfigureAwait(false);
        return new PutObjectAclOutput();
    }

    private static List<Grant> WireGrants(IReadOnlyList<AclGrant> grants) => grants.Select(g => new Grant
    {
        Grantee = g.GranteeType == "Group"
            ? new Grantee { Type = "Group", URI = g.Uri }
            : new Grantee { Type = "CanonicalUser", ID = g.Id, DisplayName = g.Id },
        Permission = g.Permission,
    }).ToList();

    /// <summary>One ACL request: a canned ACL, grant headers, or an AccessControlPolicy body. S3
    /// refuses a body together with headers, and a canned ACL together with grants.</summary>
    private static AclInput AclOf(string? canned, AccessControlPolicy? body, string? fullControl, string? read,
        string? readAcp, string? write, string? writeAcp)
    {
        var headerGrants = new List<AclGrant>();
        AddHeaderGrants(headerGrants, fullControl, "FULL_CONTROL");
        AddHeaderGrants(headerGrants, read, "READ");
        AddHeaderGrants(headerGrants, readAcp, "READ_ACP");
        AddHeaderGrants(headerGrants, write, "WRITE");
        AddHeaderGrants(headerGrants, writeAcp, "WRITE_ACP");
        var anyHeader = fullControl is not null || read is not null || readAcp is not null || write is not null ||
                        writeAcp is not null;
        if (body is not null)
        {
            if (anyHeader || canned is not null)
            {
                throw S3Errors.InvalidRequest("Specifying both Canned ACLs and Header Grants is not allowed");
            }

            // The domain checks each grant (grantee type, id, group, permission).
            return new AclInput(null, (body.Grants ?? []).Select(g => g.Grantee is { } who
                ? new AclGrant(who.Type ?? "", who.ID, who.URI, g.Permission ?? "")
                : throw S3Errors.MalformedXml()).ToList());
        }

        return new AclInput(canned, anyHeader ? headerGrants : null);
    }

    /// <summary>An x-amz-grant-* header: <c>id="…", uri="…", emailAddress="…"</c>, comma-separated.</summary>
    private static void AddHeaderGrants(List<AclGrant> grants, string? header, string permission)
    {
        if (header is null)
        {
            return;
        }

        foreach (var part in header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=');
            if (eq <= 0)
            {
                throw S3Errors.InvalidArgument("Argument format not recognized", "x-amz-grant", header);
            }

            var value = part[(eq + 1)..].Trim().Trim('"');
            grants.Add(part[..eq].Trim().ToLowerInvariant() switch
            {
                "id" => new AclGrant("CanonicalUser", value, null, permission),
                "uri" => new AclGrant("Group", null, value, permission),
                "emailaddress" => throw AccessErrors.UnresolvableGrantByEmailAddress(),
                _ => throw S3Errors.InvalidArgument("Argument format not recognized", "x-amz-grant", header),
            });
        }
    }
}

/// <summary>Hands the IAM authorizer a bucket's policy and owner for the request's S3 resource, so
/// bucket policies take part in every S3 decision; for the caller, with RestrictPublicBuckets
/// applied and ACL grants added as statements (see <see cref="ObjectService.FindBucketPolicyAsync"/>).</summary>
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

    public async ValueTask<ResourcePolicy?> FindAsync(string resourceArn, string? versionId, RequestContext context)
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

        var key = slash < 0 ? null : rest[(slash + 1)..].ToString();
        if (context.Operation.Name == "HeadBucket" &&
            await _objects.FindBucketRegionAsync(bucket, context.Aborted).ConfigureAwait(false) is { } region)
        {
            // "HeadBucket ... always return[s] the bucket's location through an HTTP response header, whether
            // access to the bucket is authorized or not" (GetBucketLocation API reference): set before the
            // decision, so a 403 carries it too.
            context.SetResponseHeader(S3Wire.BucketRegionHeader, region);
        }

        var found = await _objects.FindBucketPolicyAsync(bucket, context.Aborted, context.AccountId, key,
                key is null ? null : versionId)
            .ConfigureAwait(false);
        return found is { } f ? new ResourcePolicy(f.Owner, f.Policy) : null;
    }
}
