namespace Kiln.Services.CloudTrail.Domain;

/// <summary>A bucket as a trail sees it: who owns it and its bucket policy (null without one).</summary>
public sealed record TrailBucket(string OwnerAccountId, Kiln.Policy.Policy? Policy);

/// <summary>Where CloudTrail writes log files. The host implements it over S3, so CloudTrail knows
/// nothing of S3's types; the objects written are ordinary S3 objects (encrypted at rest like any).
/// Delivery writes as the bucket owner, after this service has checked that the bucket policy lets
/// the cloudtrail.amazonaws.com service principal write (see <see cref="BucketPolicyCheck"/>).</summary>
public interface ITrailObjectSink
{
    /// <summary>The bucket's owner and policy; null when no such bucket exists.</summary>
    Task<TrailBucket?> FindBucketAsync(string bucket, CancellationToken cancellationToken);

    /// <summary>Writes one object durably. Failures S3 reports (the bucket vanished) are
    /// <see cref="Kiln.Core.Errors.AwsException"/>s carrying S3's error code.</summary>
    Task PutObjectAsync(string ownerAccountId, string bucket, string key, ReadOnlyMemory<byte> body, string contentType,
        CancellationToken cancellationToken);
}
