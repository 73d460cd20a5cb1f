using Kiln.Services.Iam.Domain;

namespace Kiln.Services.Iam.Storage;

/// <summary>The persistence seam of IAM: one document per entity, keyed by account, kind and name.
/// The domain reads, decides, and hands back every row one call changes, which the store applies
/// in one transaction (DESIGN.md: "Every multi-row change is one transaction").
/// Implementations: <see cref="SqliteIamStore"/> (the server) and <see cref="MemoryIamStore"/> (tests).</summary>
public interface IIamStore
{
    Task<T?> GetAsync<T>(string accountId, EntityKind kind, string name, CancellationToken cancellationToken)
        where T : class;

    /// <summary>Every entity of a kind in the account, ordered by name.</summary>
    Task<IReadOnlyList<T>> ListAsync<T>(string accountId, EntityKind kind, CancellationToken cancellationToken)
        where T : class;

    Task WriteAsync(string accountId, IReadOnlyList<EntityWrite> writes, CancellationToken cancellationToken);
}
