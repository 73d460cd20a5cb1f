using Kiln.Core;

namespace Kiln.Services.Kms;

/// <summary>A data key from GenerateDataKey: use <see cref="Plaintext"/>, then zero it; store
/// <see cref="CiphertextBlob"/> beside the data.</summary>
public sealed record DataKey(string KeyArn, byte[] Plaintext, byte[] CiphertextBlob);

/// <summary>
/// KMS for other Kiln services, in process (S3 SSE-KMS: a data key per object on PUT, decrypted
/// on GET). With a <see cref="RequestContext"/> the call is authorized as that caller, as AWS does
/// when S3 calls KMS on a user's behalf ("the user must have kms:GenerateDataKey / kms:Decrypt",
/// S3 User Guide, "Using SSE-KMS"); the error is KMS's (AccessDeniedException, DisabledException...),
/// for the calling service to map. Without a context no permission is checked (service-internal use).
/// </summary>
public interface IKmsDataKeys
{
    /// <summary>A new data key under <paramref name="keyId"/> (id, ARN, alias name or alias ARN, in
    /// <paramref name="accountId"/> and <paramref name="region"/> unless an ARN says otherwise).</summary>
    Task<DataKey> GenerateDataKeyAsync(string accountId, string region, string keyId, int numberOfBytes,
        IReadOnlyDictionary<string, string>? encryptionContext, RequestContext? caller, CancellationToken cancellationToken);

    /// <summary>Decrypts a data key's ciphertext blob with the key and encryption context it was made with.</summary>
    Task<DataKey> DecryptDataKeyAsync(string accountId, string region, byte[] ciphertextBlob,
        IReadOnlyDictionary<string, string>? encryptionContext, RequestContext? caller, CancellationToken cancellationToken);

    /// <summary>The ARN of the account's AWS managed key for <paramref name="service"/>
    /// (<c>alias/aws/&lt;service&gt;</c>, e.g. "s3"), created on first use as KMS does.</summary>
    Task<string> GetManagedKeyArnAsync(string accountId, string region, string service, CancellationToken cancellationToken);
}
