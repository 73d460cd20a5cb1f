using Kiln.Core;
using Kiln.Services.Kms.Domain;

namespace Kiln.Services.Kms.Api;

/// <summary>The in-process <see cref="IKmsDataKeys"/>: the same domain calls and the same key policy
/// and IAM checks as the wire operations.</summary>
internal sealed class KmsDataKeys(KeyService keys, KeyAuthorization auth) : IKmsDataKeys
{
    public async Task<DataKey> GenerateDataKeyAsync(string accountId, string region, string keyId, int numberOfBytes,
        IReadOnlyDictionary<string, string>? encryptionContext, RequestContext? caller, CancellationToken cancellationToken)
    {
        var key = await keys.GetKeyAsync(accountId, region, keyId, cancellationToken).ConfigureAwait(false);
        if (caller is not null)
        {
            await auth.CheckAsync(caller, "kms:GenerateDataKey", key).ConfigureAwait(false);
        }

        var (plaintext, blob) = await keys.GenerateDataKeyAsync(key, null, numberOfBytes, encryptionContext, cancellationToken)
            .ConfigureAwait(false);
        return new DataKey(key.Arn, plaintext, blob);
    }

    public async Task<DataKey> DecryptDataKeyAsync(string accountId, string region, byte[] ciphertextBlob,
        IReadOnlyDictionary<string, string>? encryptionContext, RequestContext? caller, CancellationToken cancellationToken)
    {
        var parsed = KeyService.ParseCiphertext(ciphertextBlob);
        var key = await keys.GetKeyAsync(accountId, region, parsed.KeyArn, cancellationToken).ConfigureAwait(false);
        if (caller is not null)
        {
            await auth.CheckAsync(caller, "kms:Decrypt", key).ConfigureAwait(false);
        }

        return new DataKey(key.Arn, keys.Decrypt(key, parsed, encryptionContext), ciphertextBlob);
    }

    public async Task<string> GetManagedKeyArnAsync(string accountId, string region, string service,
        CancellationToken cancellationToken) =>
        (await keys.GetOrCreateManagedKeyAsync(accountId, region, service, cancellationToken).ConfigureAwait(false)).Arn;
}
