using Kiln.Services.Kms.Domain;

namespace Kiln.Services.Kms.Storage;

/// <summary>The persistence seam of KMS: keys and aliases per account and region, one JSON document
/// per row. Implementations: <see cref="SqliteKmsStore"/> (the server), <see cref="MemoryKmsStore"/> (tests).
/// Both hand out copies: a caller that mutates what it read changes nothing until it writes.</summary>
public interface IKmsStore
{
    Task<KmsKey?> GetKeyAsync(string accountId, string region, string keyId, CancellationToken cancellationToken);

    /// <summary>The account's keys in the region, ordered by key id (ListKeys pages by it).</summary>
    Task<IReadOnlyList<KmsKey>> ListKeysAsync(string accountId, string region, CancellationToken cancellationToken);

    Task PutKeyAsync(KmsKey key, CancellationToken cancellationToken);

    /// <summary>Deletes a key and every alias that points at it, in one transaction.</summary>
    Task DeleteKeyAsync(string accountId, string region, string keyId, CancellationToken cancellationToken);

    Task<KmsAlias?> GetAliasAsync(string accountId, string region, string name, CancellationToken cancellationToken);

    /// <summary>The account's aliases in the region, ordered by name.</summary>
    Task<IReadOnlyList<KmsAlias>> ListAliasesAsync(string accountId, string region, CancellationToken cancellationToken);

    /// <summary>Adds an alias; false when one of that name exists (the check and the insert are atomic).</summary>
    Task<bool> TryAddAliasAsync(KmsAlias alias, CancellationToken cancellationToken);

    Task PutAliasAsync(KmsAlias alias, CancellationToken cancellationToken);

    Task DeleteAliasAsync(string accountId, string region, string name, CancellationToken cancellationToken);
}
