namespace Kiln.Services.S3.Domain;

/// <summary>Put/Get/DeleteBucketLifecycleConfiguration. The rules are applied by
/// <see cref="LifecycleEngine"/>, which the background worker runs.</summary>
public sealed partial class ObjectService
{
    /// <summary>Where lifecycle configurations are kept; the server sets the SQLite store.</summary>
    public ILifecycleStore Lifecycles { get; init; } = new MemoryLifecycleStore();

    public async Task SetLifecycleAsync(string account, string bucketName, LifecycleConfiguration? configuration,
        CancellationToken cancellationToken)
    {
        var bucket = await GetBucketAsync(account, bucketName, cancellationToken).ConfigureAwait(false);
        var valid = LifecycleValidation.Validate(configuration ?? throw S3Errors.MalformedXml());
        await Lifecycles.PutAsync(new StoredLifecycle(bucketName, bucket.CreatedAt, valid), cancellationToken)
            .ConfigureAwait(false);
    }

    public async Task<LifecycleConfiguration> GetLifecycleAsync(string account, string bucketName,
        CancellationToken cancellationToken)
    {
        var bucket = await GetBucketAsync(account, bucketName, cancellationToken).ConfigureAwait(false);
        var stored = await Lifecycles.GetAsync(bucketName, cancellationToken).ConfigureAwait(false);
        return stored is not null && stored.BucketCreatedAt == bucket.CreatedAt
            ? stored.Configuration
            : throw S3Errors.NoSuchLifecycleConfiguration(bucketName);
    }

    /// <summary>DeleteBucketLifecycle succeeds (204) whether or not a configuration exists, as S3 does.</summary>
    public async Task DeleteLifecycleAsync(string account, string bucketName, CancellationToken cancellationToken)
    {
        await GetBucketAsync(account, bucketName, cancellationToken).ConfigureAwait(false);
        await Lifecycles.DeleteAsync(bucketName, cancellationToken).ConfigureAwait(false);
    }
}
