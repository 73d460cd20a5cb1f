using Kiln.Core;
using Kiln.Protocol.SigV4;
using Kiln.Storage.Accounts;

namespace Kiln.Host;

/// <summary>SigV4's view of the account store. Found keys are cached for a few seconds so a hot
/// path does not open the database and unseal a secret per request; keys made by
/// <c>kiln accounts create</c> in another process are seen at once, because misses are not cached.</summary>
internal sealed class AccountCredentialSource(IAccountStore accounts, IClock clock) : ICredentialSource
{
    private static readonly TimeSpan s_lifetime = TimeSpan.FromSeconds(10);
    private const int MaxEntries = 10_000;

    private readonly BoundedCache<string, (Credential Credential, DateTimeOffset Until)> _cache =
        new(MaxEntries, StringComparer.Ordinal);

    public async ValueTask<Credential?> FindAsync(string accessKeyId, CancellationToken cancellationToken)
    {
        var now = clock.UtcNow;
        if (_cache.TryGet(accessKeyId, out var hit) && hit.Until > now)
        {
            return hit.Credential;
        }

        var found = await accounts.FindAccessKeyAsync(accessKeyId, cancellationToken).ConfigureAwait(false);
        if (found is null)
        {
            _cache.Remove(accessKeyId);
            return null;
        }

        // Temporary credentials (STS) carry their token and expiry: SigV4 then requires the matching
        // X-Amz-Security-Token and answers ExpiredToken once the expiry has passed.
        var principal = found.Key.ToPrincipal() with { SessionToken = found.SessionToken };
        var credential = new Credential(accessKeyId, found.SecretAccessKey, principal)
        {
            Active = found.Key.Active,
            SessionToken = found.SessionToken,
            Expiration = found.Key.Expiration,
        };
        _cache.Set(accessKeyId, (credential, now + s_lifetime));
        return credential;
    }
}
