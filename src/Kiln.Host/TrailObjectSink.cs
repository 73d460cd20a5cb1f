using Kiln.Services.CloudTrail.Domain;
using Kiln.Services.S3.Domain;
using Kiln.Services.S3.Storage;

namespace Kiln.Host;

/// <summary>CloudTrail's log file sink over S3's <see cref="ObjectService"/>: the seam that keeps
/// CloudTrail free of any S3 reference. Log files become ordinary objects, written as the bucket's
/// owner through the same path as PutObject (durable, encrypted at rest).</summary>
internal sealed class TrailObjectSink(ObjectService objects) : ITrailObjectSink
{
    public async Task<TrailBucket?> FindBucketAsync(string bucket, CancellationToken cancellationToken) =>
        await objects.FindBucketPolicyAsync(bucket, cancellationToken).ConfigureAwait(false) is { } found
            ? new TrailBucket(found.Owner, found.Policy)
            : null;

    public async Task PutObjectAsync(string ownerAccountId, string bucket, string key, ReadOnlyMemory<byte> body, string contentType,
        CancellationToken cancellationToken)
    {
        using var stream = System.Runtime.InteropServices.MemoryMarshal.TryGetArray(body, out var array)
            ? new MemoryStream(array.Array!, array.Offset, array.Count, writable: false)
            : new MemoryStream(body.ToArray(), writable: false);
        await objects.PutObjectAsync(ownerAccountId, bucket, key, stream,
            new ObjectWrite { Content = new ContentHeaders { ContentType = contentType }, DeclaredLength = body.Length },
            cancellationToken).ConfigureAwait(false);
    }
}
