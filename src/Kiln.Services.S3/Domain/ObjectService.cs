using Kiln.Core;
using Kiln.Services.S3.Storage;
using Kiln.Storage.Crypto;

namespace Kiln.Services.S3.Domain;

/// <summary>S3's domain: buckets, objects, versions, listings and multipart uploads over the
/// metadata store and the blob store. It knows no HTTP; failures callers can see are
/// <see cref="Kiln.Core.Errors.AwsException"/>s from <see cref="S3Errors"/>.
/// <para>Access is the owner-only rule until the policy engine lands: an account touches only its
/// own buckets; anything else is AccessDenied, after NoSuchBucket (as S3 answers).</para>
/// <para>Write order is the crash-safety contract (DESIGN.md, State): blob durable → metadata
/// committed → acknowledged; metadata removed → blob deleted.</para></summary>
public sealed partial class ObjectService(IS3MetadataStore store, IBlobStore blobs, IClock clock, S3Limits limits,
    MasterKey masterKey)
{
    public const string DefaultRegion = "us-east-1";
    /// <summary>The legacy LocationConstraint "EU" and the region it names.</summary>
    public const string LegacyEuConstraint = "EU";
    public const string LegacyEuRegion = "eu-west-1";
    public const string Aes256 = "AES256";

    public S3Limits Limits => limits;

    /// <summary>Deletes leftovers of a crash (temp files, unreferenced blobs). Call once at start,
    /// before serving.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var referenced = await store.ReferencedBlobsAsync(cancellationToken).ConfigureAwait(false);
        return blobs.Sweep(referenced);
    }

    // ---- buckets ----

    /// <param name="requestRegion">The region the request was signed for.</param>
    public Task<BucketRecord> CreateBucketAsync(string account, string requestRegion, string name,
        string? locationConstraint, CancellationToken cancellationToken) =>
        CreateBucketAsync(account, requestRegion, name, locationConstraint, null, new AclInput(null, null), cancellationToken);

    /// <param name="requestRegion">The region the request was signed for.</param>
    /// <param name="ownership">x-amz-object-ownership; BucketOwnerEnforced when null.</param>
    /// <param name="acl">x-amz-acl / x-amz-grant-*, checked against the ownership before anything is written.</param>
    public async Task<BucketRecord> CreateBucketAsync(string account, string requestRegion, string name,
        string? locationConstraint, string? ownership, AclInput acl, CancellationToken cancellationToken)
    {
        Rules.CheckBucketName(name);
        var region = locationConstraint is { Length: > 0 } lc ? lc : DefaultRegion;
        if (locationConstraint == DefaultRegion)
        {
            // S3 refuses an explicit us-east-1; it is the default, named by leaving the constraint out.
            throw S3Errors.InvalidLocationConstraint(locationConstraint);
        }

        if (locationConstraint == LegacyEuConstraint)
        {
            // "EU" is S3's legacy name for eu-west-1 (BucketLocationConstraint): a bucket made with it is in
            // eu-west-1 and GetBucketLocation answers "EU". Sent to any other region it is a mismatch like any other.
            region = LegacyEuRegion;
        }

        if (region != requestRegion)
        {
            // A scope that names no region (s3cmd signs with its bucket_location "US" until it learns a
            // bucket's region) is S3's AuthorizationHeaderMalformed with the region to sign for, which
            // s3cmd and botocore read to retry there.
            throw Rules.IsRegionName(requestRegion)
                ? S3Errors.IllegalLocationConstraint(locationConstraint)
                : S3Errors.WrongSigningRegion(requestRegion, region);
        }

        var bucket = new BucketRecord(name, account, region, clock.UtcNow)
        {
            LocationConstraint = locationConstraint == LegacyEuConstraint ? locationConstraint : null,
        };
        var access = NewBucketAccess(bucket, ownership, acl);
        // The bucket and its ownership and ACL are one commit: a crash never leaves the bucket with default settings.
        var existing = await store.CreateBucketAsync(bucket, access, cancellationToken).ConfigureAwait(false);
        if (existing is null)
        {
            return bucket;
        }

        if (existing.OwnerAccountId != account)
        {
            throw S3Errors.BucketAlreadyExists(name);
        }

        // Legacy behaviour S3 keeps in us-east-1 only: re-creating your own bucket succeeds.
        return existing.Region == DefaultRegion ? existing : throw S3Errors.BucketAlreadyOwnedByYou(name);
    }

    /// <summary>The caller's bucket: NoSuchBucket if it does not exist, AccessDenied if another
    /// account owns it.</summary>
    public async Task<BucketRecord> GetBucketAsync(string account, string name, CancellationToken cancellationToken)
    {
        var bucket = await store.GetBucketAsync(name, cancellationToken).ConfigureAwait(false)
                     ?? throw S3Errors.NoSuchBucket(name);
        return bucket.OwnerAccountId == account || SharedByPolicy(bucket) ? bucket : throw S3Errors.AccessDenied();
    }

    /// <summary>A bucket's region whoever asks (S3 HeadBucket tells it even to a caller it refuses);
    /// null when the bucket does not exist.</summary>
    public async Task<string?> FindBucketRegionAsync(string name, CancellationToken cancellationToken) =>
        (await store.GetBucketAsync(name, cancellationToken).ConfigureAwait(false))?.Region;

    public Task<IReadOnlyList<BucketRecord>> ListBucketsAsync(string account, CancellationToken cancellationToken) =>
        store.ListBucketsAsync(account, cancellationToken);

    public async Task DeleteBucketAsync(string account, string name, CancellationToken cancellationToken)
    {
        await GetBucketAsync(account, name, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<string>? freed;
        try
        {
            freed = await store.DeleteBucketAsync(name, cancellationToken).ConfigureAwait(false);
        }
        catch (MissingBucketException)
        {
            throw S3Errors.NoSuchBucket(name);
        }

        Free(freed ?? throw S3Errors.BucketNotEmpty(name));
    }

    /// <param name="status">"Enabled" or "Suspended".</param>
    public async Task SetVersioningAsync(string account, string name, string? status, CancellationToken cancellationToken)
    {
        var bucket = await GetBucketAsync(account, name, cancellationToken).ConfigureAwait(false);
        var state = status switch
        {
            "Enabled" => VersioningState.Enabled,
            "Suspended" => VersioningState.Suspended,
            null => throw S3Errors.IllegalVersioningConfiguration(),
            _ => throw S3Errors.MalformedXml(),
        };

        // A bucket never goes back to unversioned: suspending an unversioned bucket is a no-op state.
        if (state == VersioningState.Suspended && bucket.Versioning == VersioningState.Unversioned)
        {
            state = VersioningState.Unversioned;
        }

        await UpdateAsync(bucket with { Versioning = state }, cancellationToken).ConfigureAwait(false);
    }

    public async Task SetBucketTagsAsync(string account, string name, IReadOnlyList<ObjectTag>? tags,
        CancellationToken cancellationToken)
    {
        var bucket = await GetBucketAsync(account, name, cancellationToken).ConfigureAwait(false);
        if (tags is not null)
        {
            Rules.CheckTags(tags, Rules.MaxBucketTags);
        }

        await UpdateAsync(bucket with { Tags = tags }, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<ObjectTag>> GetBucketTagsAsync(string account, string name,
        CancellationToken cancellationToken)
    {
        var bucket = await GetBucketAsync(account, name, cancellationToken).ConfigureAwait(false);
        return bucket.Tags ?? throw S3Errors.NoSuchTagSet(name);
    }

    private async Task UpdateAsync(BucketRecord bucket, CancellationToken cancellationToken)
    {
        try
        {
            await store.UpdateBucketAsync(bucket, cancellationToken).ConfigureAwait(false);
        }
        catch (MissingBucketException)
        {
            throw S3Errors.NoSuchBucket(bucket.Name);
        }
    }

    /// <summary>Deletes blob files whose metadata is gone (committed). A failure leaves an orphan
    /// for the next start's sweep, never a lost object.</summary>
    private void Free(IReadOnlyList<string> blobIds)
    {
        foreach (var id in blobIds)
        {
            blobs.Delete(id);
        }
    }
}
