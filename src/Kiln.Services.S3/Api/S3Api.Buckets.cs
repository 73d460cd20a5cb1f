using Kiln.Core;
using Kiln.Model.S3;

namespace Kiln.Services.S3.Api;

internal sealed partial class S3Api
{
    public override async Task<CreateBucketOutput> CreateBucketAsync(CreateBucketRequest input, RequestContext context)
    {
        var name = Required(input.Bucket, "Bucket");
        if (input.ObjectLockEnabledForBucket == true)
        {
            // Object Lock (retention, legal holds) is not built: refused rather than a bucket that pretends.
            throw new Kiln.Core.Errors.AwsException("NotImplemented",
                "A header you provided implies functionality that is not implemented: S3 Object Lock is not implemented in Kiln.",
                501) { SenderFault = false };
        }

        var acl = AclOf(input.ACL, null, input.GrantFullControl, input.GrantRead, input.GrantReadACP, input.GrantWrite,
            input.GrantWriteACP);
        await objects.CreateBucketAsync(context.AccountId, context.Region, name,
            input.CreateBucketConfiguration?.LocationConstraint, input.ObjectOwnership, acl, context.Aborted).ConfigureAwait(false);
        return new CreateBucketOutput { Location = "/" + name };
    }

    public override Task DeleteBucketAsync(DeleteBucketRequest input, RequestContext context) =>
        objects.DeleteBucketAsync(context.AccountId, Required(input.Bucket, "Bucket"), context.Aborted);

    public override async Task HeadBucketAsync(HeadBucketRequest input, RequestContext context)
    {
        var bucket = await objects.GetBucketAsync(context.AccountId, Required(input.Bucket, "Bucket"), context.Aborted)
            .ConfigureAwait(false);
        // The model Kiln is generated from (botocore 1.29) gives HeadBucket no output; later models carry
        // BucketRegion and AccessPointAlias as these headers. The region is also sent when access is
        // refused (BucketPolicySource sets it before the authorize stage decides).
        context.SetResponseHeader(S3Wire.BucketRegionHeader, bucket.Region);
        context.SetResponseHeader(S3Wire.AccessPointAliasHeader, "false");
    }

    public override async Task<ListBucketsOutput> ListBucketsAsync(RequestContext context)
    {
        var buckets = await objects.ListBucketsAsync(context.AccountId, context.Aborted).ConfigureAwait(false);
        return new ListBucketsOutput
        {
            Buckets = buckets.Select(b => new Bucket { Name = b.Name, CreationDate = b.CreatedAt }).ToList(),
            Owner = OwnerOf(context.AccountId),
        };
    }

    public override async Task<GetBucketLocationOutput> GetBucketLocationAsync(GetBucketLocationRequest input,
        RequestContext context)
    {
        var bucket = await objects.GetBucketAsync(context.AccountId, Required(input.Bucket, "Bucket"), context.Aborted)
            .ConfigureAwait(false);
        // As CreateBucket named it ("EU" for a legacy eu-west-1 bucket); us-east-1 is an empty constraint, as S3 answers.
        return new GetBucketLocationOutput
        {
            LocationConstraint = bucket.LocationConstraint ?? (bucket.Region == Domain.ObjectService.DefaultRegion ? null : bucket.Region),
        };
    }

    public override Task PutBucketVersioningAsync(PutBucketVersioningRequest input, RequestContext context) =>
        objects.SetVersioningAsync(context.AccountId, Required(input.Bucket, "Bucket"),
            input.VersioningConfiguration?.Status, context.Aborted);

    public override async Task<GetBucketVersioningOutput> GetBucketVersioningAsync(GetBucketVersioningRequest input,
        RequestContext context)
    {
        var bucket = await objects.GetBucketAsync(context.AccountId, Required(input.Bucket, "Bucket"), context.Aborted)
            .ConfigureAwait(false);
        return new GetBucketVersioningOutput
        {
            Status = bucket.Versioning switch
            {
                Storage.VersioningState.Enabled => "Enabled",
                Storage.VersioningState.Suspended => "Suspended",
                _ => null,
            },
        };
    }

    public override Task PutBucketTaggingAsync(PutBucketTaggingRequest input, RequestContext context) =>
        objects.SetBucketTagsAsync(context.AccountId, Required(input.Bucket, "Bucket"),
            DomainTags(input.Tagging?.TagSet ?? throw S3Errors.MalformedXml()), context.Aborted);

    public override async Task<GetBucketTaggingOutput> GetBucketTaggingAsync(GetBucketTaggingRequest input,
        RequestContext context)
    {
        var tags = await objects.GetBucketTagsAsync(context.AccountId, Required(input.Bucket, "Bucket"), context.Aborted)
            .ConfigureAwait(false);
        return new GetBucketTaggingOutput { TagSet = WireTags(tags) };
    }

    public override Task DeleteBucketTaggingAsync(DeleteBucketTaggingRequest input, RequestContext context) =>
        objects.SetBucketTagsAsync(context.AccountId, Required(input.Bucket, "Bucket"), null, context.Aborted);

    public override Task PutBucketEncryptionAsync(PutBucketEncryptionRequest input, RequestContext context)
    {
        var rules = input.ServerSideEncryptionConfiguration?.Rules;
        var rule = rules is { Count: 1 } ? rules[0] : throw S3Errors.MalformedXml();
        var byDefault = rule.ApplyServerSideEncryptionByDefault ?? throw S3Errors.MalformedXml();
        var encryption = new Storage.BucketEncryption(byDefault.SSEAlgorithm ?? throw S3Errors.MalformedXml())
        {
            KmsMasterKeyId = string.IsNullOrEmpty(byDefault.KMSMasterKeyID) ? null : byDefault.KMSMasterKeyID,
            BucketKeyEnabled = rule.BucketKeyEnabled ?? false,
        };
        return objects.SetBucketEncryptionAsync(context.AccountId, Required(input.Bucket, "Bucket"), encryption,
            context.Aborted);
    }

    public override async Task<GetBucketEncryptionOutput> GetBucketEncryptionAsync(GetBucketEncryptionRequest input,
        RequestContext context)
    {
        var bucket = await objects.GetBucketAsync(context.AccountId, Required(input.Bucket, "Bucket"), context.Aborted)
            .ConfigureAwait(false);
        // Every bucket has default encryption, SSE-S3 unless set otherwise (S3 since January 2023).
        var encryption = bucket.DefaultEncryption;
        return new GetBucketEncryptionOutput
        {
            ServerSideEncryptionConfiguration = new ServerSideEncryptionConfiguration
            {
                Rules =
                [
                    new ServerSideEncryptionRule
                    {
                        ApplyServerSideEncryptionByDefault = new ServerSideEncryptionByDefault
                        {
                            SSEAlgorithm = encryption?.Algorithm ?? Domain.ObjectService.Aes256,
                            KMSMasterKeyID = encryption?.KmsMasterKeyId,
                        },
                        BucketKeyEnabled = encryption?.BucketKeyEnabled ?? false,
                    },
                ],
            },
        };
    }

    public override Task DeleteBucketEncryptionAsync(DeleteBucketEncryptionRequest input, RequestContext context) =>
        objects.SetBucketEncryptionAsync(context.AccountId, Required(input.Bucket, "Bucket"), (Storage.BucketEncryption?)null,
            context.Aborted);
}
