using Kiln.Core;
using Kiln.Core.Errors;
using Kiln.Services.CloudTrail.Domain;

namespace Kiln.Services.CloudTrail.Tests;

internal sealed class ManualClock(DateTimeOffset now) : IClock
{
    public DateTimeOffset UtcNow { get; set; } = now;
}

/// <summary>An in-memory bucket world for the trail sink.</summary>
internal sealed class MemoryObjectSink : ITrailObjectSink
{
    public Dictionary<string, (string Owner, string? Policy)> Buckets { get; } = new(StringComparer.Ordinal);
    public Dictionary<(string Bucket, string Key), byte[]> Objects { get; } = [];

    public Task<TrailBucket?> FindBucketAsync(string bucket, CancellationToken cancellationToken) =>
        Task.FromResult(Buckets.TryGetValue(bucket, out var b)
            ? new TrailBucket(b.Owner, b.Policy is null ? null : Kiln.Policy.Policy.Parse(b.Policy, Kiln.Policy.PolicyKind.Resource))
            : null);

    public Task PutObjectAsync(string ownerAccountId, string bucket, string key, ReadOnlyMemory<byte> body, string contentType,
        CancellationToken cancellationToken)
    {
        if (!Buckets.TryGetValue(bucket, out var b) || b.Owner != ownerAccountId)
        {
            throw new AwsException("NoSuchBucket", "The specified bucket does not exist", 404);
        }

        Objects[(bucket, key)] = body.ToArray();
        return Task.CompletedTask;
    }

    /// <summary>The bucket policy CloudTrail's documentation gives, for a prefix or none.</summary>
    public static string DocumentedPolicy(string bucket, string account, string? prefix = null, string? sourceArn = null)
    {
        var condition = sourceArn is null ? "" : ", \"aws:SourceArn\": \"" + sourceArn + "\"";
        var path = (prefix is null ? "" : prefix + "/") + "AWSLogs/" + account + "/*";
        return "{\"Version\": \"2012-10-17\", \"Statement\": [" +
               "{\"Sid\": \"AWSCloudTrailAclCheck\", \"Effect\": \"Allow\", \"Principal\": {\"Service\": \"cloudtrail.amazonaws.com\"}, " +
               "\"Action\": \"s3:GetBucketAcl\", \"Resource\": \"arn:aws:s3:::" + bucket + "\"}, " +
               "{\"Sid\": \"AWSCloudTrailWrite\", \"Effect\": \"Allow\", \"Principal\": {\"Service\": \"cloudtrail.amazonaws.com\"}, " +
               "\"Action\": \"s3:PutObject\", \"Resource\": \"arn:aws:s3:::" + bucket + "/" + path + "\", " +
               "\"Condition\": {\"StringEquals\": {\"s3:x-amz-acl\": \"bucket-owner-full-control\"" + condition + "}}}]}";
    }
}
