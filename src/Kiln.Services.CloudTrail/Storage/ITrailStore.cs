using Kiln.Services.CloudTrail.Domain;

namespace Kiln.Services.CloudTrail.Storage;

/// <summary>The persistence seam of trails, keyed by account, home region and name. Implementations:
/// <see cref="SqliteTrailStore"/> (the server) and <see cref="MemoryTrailStore"/> (tests). Trails are
/// immutable records, so what a caller reads never changes under it.</summary>
public interface ITrailStore
{
    Task<Trail?> GetAsync(string accountId, string region, string name, CancellationToken cancellationToken);

    /// <summary>The account's trails in every region, ordered by region then name.</summary>
    Task<IReadOnlyList<Trail>> ListAsync(string accountId, CancellationToken cancellationToken);

    /// <summary>Every trail of every account (the delivery worker's list).</summary>
    Task<IReadOnlyList<Trail>> ListAllAsync(CancellationToken cancellationToken);

    /// <summary>Adds a trail; false when one of that name exists in the region (check and insert are atomic).</summary>
    Task<bool> TryAddAsync(Trail trail, CancellationToken cancellationToken);

    /// <summary>Replaces an existing trail; false when it no longer exists.</summary>
    Task<bool> ReplaceAsync(Trail trail, CancellationToken cancellationToken);

    Task DeleteAsync(string accountId, string region, string name, CancellationToken cancellationToken);
}
