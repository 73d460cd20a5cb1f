using Kiln.Core;
using Kiln.Model.S3;
using Kiln.Services.S3.Domain;
using Kiln.Services.S3.Storage;
using Wire = Kiln.Model.S3;

namespace Kiln.Services.S3.Api;

internal sealed partial class S3Api
{
    public override Task PutBucketLifecycleConfigurationAsync(PutBucketLifecycleConfigurationRequest input,
        RequestContext context) =>
        objects.SetLifecycleAsync(context.AccountId, Required(input.Bucket, "Bucket"),
            input.LifecycleConfiguration?.Rules is { } rules ? new LifecycleConfiguration(rules.Select(ToDomain).ToList()) : null,
            context.Aborted);

    public override async Task<GetBucketLifecycleConfigurationOutput> GetBucketLifecycleConfigurationAsync(
        GetBucketLifecycleConfigurationRequest input, RequestContext context)
    {
        var config = await objects.GetLifecycleAsync(context.AccountId, Required(input.Bucket, "Bucket"), context.Aborted)
            .ConfigureAwait(false);
        return new GetBucketLifecycleConfigurationOutput { Rules = config.Rules.Select(ToWire).ToList() };
    }

    public override Task DeleteBucketLifecycleAsync(DeleteBucketLifecycleRequest input, RequestContext context) =>
        objects.DeleteLifecycleAsync(context.AccountId, Required(input.Bucket, "Bucket"), context.Aborted);

    public override async Task<RestoreObjectOutput> RestoreObjectAsync(RestoreObjectRequest input, RequestContext context)
    {
        var request = input.RestoreRequest;
        if (request?.Type is not null || request?.SelectParameters is not null || request?.OutputLocation is not null)
        {
            throw new Kiln.Core.Errors.AwsException("NotImplemented", "S3 Select restores are not implemented in Kiln.", 501)
            {
                SenderFault = false,
            };
        }

        var started = await objects.RestoreObjectAsync(context.AccountId, Required(input.Bucket, "Bucket"),
            Required(input.Key, "Key"), input.VersionId, request?.Days,
            request?.GlacierJobParameters?.Tier ?? request?.Tier, context.Aborted).ConfigureAwait(false);
        // 202 Accepted starts a restore; 200 OK extends a restored copy.
        context.ResponseStatusCode = started ? 202 : 200;
        return new RestoreObjectOutput();
    }

    // Server access logging (Put/GetBucketLogging) sits here with the other bucket-management
    // configurations this file binds; the recorder is Domain/AccessLogging.cs.
    public override Task PutBucketLoggingAsync(PutBucketLoggingRequest input, RequestContext context)
    {
        var enabled = input.BucketLoggingStatus?.LoggingEnabled;
        if (enabled is not null && enabled.TargetBucket is null)
        {
            throw S3Errors.MalformedXml();
        }

        return objects.SetBucketLoggingAsync(context.AccountId, Required(input.Bucket, "Bucket"),
            enabled is null ? null : new AccessLogTarget(enabled.TargetBucket!, enabled.TargetPrefix ?? ""), context.Aborted);
    }

    public override async Task<GetBucketLoggingOutput> GetBucketLoggingAsync(GetBucketLoggingRequest input,
        RequestContext context)
    {
        var target = await objects.GetBucketLoggingAsync(context.AccountId, Required(input.Bucket, "Bucket"), context.Aborted)
            .ConfigureAwait(false);
        return new GetBucketLoggingOutput
        {
            LoggingEnabled = target is null
                ? null
                : new LoggingEnabled { TargetBucket = target.TargetBucket, TargetPrefix = target.TargetPrefix },
        };
    }

    private static Domain.LifecycleRule ToDomain(Wire.LifecycleRule r) => new()
    {
        Id = r.ID ?? "",
        Status = r.Status ?? "",
        Prefix = r.Prefix,
        Filter = r.Filter is { } f
            ? new LifecycleFilter
            {
                Prefix = f.Prefix,
                Tag = f.Tag is { } t ? new ObjectTag(t.Key ?? "", t.Value ?? "") : null,
                ObjectSizeGreaterThan = f.ObjectSizeGreaterThan,
                ObjectSizeLessThan = f.ObjectSizeLessThan,
                And = f.And is { } a
                    ? new LifecycleAnd
                    {
                        Prefix = a.Prefix,
                        Tags = DomainTags(a.Tags),
                        ObjectSizeGreaterThan = a.ObjectSizeGreaterThan,
                        ObjectSizeLessThan = a.ObjectSizeLessThan,
                    }
                    : null,
            }
            : null,
        Expiration = r.Expiration is { } e ? new Domain.LifecycleExpiration(e.Days, e.Date, e.ExpiredObjectDeleteMarker) : null,
        Transitions = (r.Transitions ?? []).Select(t => new LifecycleTransition(t.Days, t.Date, t.StorageClass ?? "")).ToList(),
        NoncurrentTransitions = (r.NoncurrentVersionTransitions ?? [])
            .Select(t => new NoncurrentTransition(t.NoncurrentDays, t.StorageClass ?? "", t.NewerNoncurrentVersions)).ToList(),
        NoncurrentExpiration = r.NoncurrentVersionExpiration is { } ne
            ? new NoncurrentExpiration(ne.NoncurrentDays, ne.NewerNoncurrentVersions)
            : null,
        AbortIncompleteMultipartUploadDays = r.AbortIncompleteMultipartUpload is { } abort
            ? abort.DaysAfterInitiation ?? 0
            : null,
    };

    private static Wire.LifecycleRule ToWire(Domain.LifecycleRule r) => new()
    {
        ID = r.Id,
        Status = r.Status,
        Prefix = r.Prefix,
        Filter = r.Filter is { } f
            ? new LifecycleRuleFilter
            {
                Prefix = f.Prefix,
                Tag = f.Tag is { } t ? new Tag { Key = t.Key, Value = t.Value } : null,
                ObjectSizeGreaterThan = f.ObjectSizeGreaterThan,
                ObjectSizeLessThan = f.ObjectSizeLessThan,
                And = f.And is { } a
                    ? new LifecycleRuleAndOperator
                    {
                        Prefix = a.Prefix,
                        Tags = a.Tags.Count > 0 ? WireTags(a.Tags) : null,
                        ObjectSizeGreaterThan = a.ObjectSizeGreaterThan,
                        ObjectSizeLessThan = a.ObjectSizeLessThan,
                    }
                    : null,
            }
            : null,
        Expiration = r.Expiration is { } e
            ? new Wire.LifecycleExpiration { Days = e.Days, Date = e.Date, ExpiredObjectDeleteMarker = e.ExpiredObjectDeleteMarker }
            : null,
        Transitions = r.Transitions.Count > 0
            ? r.Transitions.Select(t => new Transition { Days = t.Days, Date = t.Date, StorageClass = t.StorageClass }).ToList()
            : null,
        NoncurrentVersionTransitions = r.NoncurrentTransitions.Count > 0
            ? r.NoncurrentTransitions.Select(t => new Wire.NoncurrentVersionTransition
            {
                NoncurrentDays = t.NoncurrentDays, StorageClass = t.StorageClass,
                NewerNoncurrentVersions = t.NewerNoncurrentVersions,
            }).ToList()
            : null,
        NoncurrentVersionExpiration = r.NoncurrentExpiration is { } ne
            ? new NoncurrentVersionExpiration
            {
                NoncurrentDays = ne.NoncurrentDays, NewerNoncurrentVersions = ne.NewerNoncurrentVersions,
            }
            : null,
        AbortIncompleteMultipartUpload = r.AbortIncompleteMultipartUploadDays is { } d
            ? new AbortIncompleteMultipartUpload { DaysAfterInitiation = d }
            : null,
    };
}
