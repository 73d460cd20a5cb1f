using Kiln.Core;
using Kiln.Model.Kms;
using Kiln.Services.Kms.Domain;

namespace Kiln.Services.Kms.Api;

/// <summary>Encrypt, Decrypt, ReEncrypt and data keys. Only SYMMETRIC_DEFAULT is accepted as the
/// encryption algorithm, the one algorithm of a symmetric key.</summary>
internal sealed partial class KmsApi
{
    public override async Task<EncryptResponse> EncryptAsync(EncryptRequest input, RequestContext context)
    {
        RequireSymmetric(input.EncryptionAlgorithm, "encryptionAlgorithm");
        var key = await KeyAsync(context, input.KeyId, "kms:Encrypt");
        var blob = await keys.EncryptAsync(key, input.Plaintext ?? [], input.EncryptionContext, context.Aborted);
        return new EncryptResponse { CiphertextBlob = blob, KeyId = key.Arn, EncryptionAlgorithm = SymmetricDefault };
    }

    /// <summary>The ciphertext names its key, so KeyId is optional; when given it must be that key
    /// (IncorrectKeyException), "a best practice" per the Decrypt API reference.</summary>
    public override async Task<DecryptResponse> DecryptAsync(DecryptRequest input, RequestContext context)
    {
        RequireSymmetric(input.EncryptionAlgorithm, "encryptionAlgorithm");
        var (key, plaintext) = await DecryptCoreAsync(context, input.CiphertextBlob, input.KeyId, input.EncryptionContext, "kms:Decrypt");
        return new DecryptResponse { KeyId = key.Arn, Plaintext = plaintext, EncryptionAlgorithm = SymmetricDefault };
    }

    /// <summary>ReEncrypt needs kms:ReEncryptFrom on the source key and kms:ReEncryptTo on the
    /// destination ("ReEncrypt": "Required permissions"); the plaintext never leaves KMS.</summary>
    public override async Task<ReEncryptResponse> ReEncryptAsync(ReEncryptRequest input, RequestContext context)
    {
        RequireSymmetric(input.SourceEncryptionAlgorithm, "sourceEncryptionAlgorithm");
        RequireSymmetric(input.DestinationEncryptionAlgorithm, "destinationEncryptionAlgorithm");
        var (source, plaintext) = await DecryptCoreAsync(context, input.CiphertextBlob, input.SourceKeyId,
            input.SourceEncryptionContext, "kms:ReEncryptFrom");
        try
        {
            var destination = await KeyAsync(context, input.DestinationKeyId, "kms:ReEncryptTo");
            var blob = await keys.EncryptAsync(destination, plaintext, input.DestinationEncryptionContext, context.Aborted);
            return new ReEncryptResponse
            {
                CiphertextBlob = blob, SourceKeyId = source.Arn, KeyId = destination.Arn,
                SourceEncryptionAlgorithm = SymmetricDefault, DestinationEncryptionAlgorithm = SymmetricDefault,
            };
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    public override async Task<GenerateDataKeyResponse> GenerateDataKeyAsync(GenerateDataKeyRequest input, RequestContext context)
    {
        KeyService.DataKeySize(input.KeySpec, input.NumberOfBytes);
        var key = await KeyAsync(context, input.KeyId, "kms:GenerateDataKey");
        var (plaintext, blob) = await keys.GenerateDataKeyAsync(key, input.KeySpec, input.NumberOfBytes, input.EncryptionContext, context.Aborted);
        return new GenerateDataKeyResponse { CiphertextBlob = blob, Plaintext = plaintext, KeyId = key.Arn };
    }

    public override async Task<GenerateDataKeyWithoutPlaintextResponse> GenerateDataKeyWithoutPlaintextAsync(
        GenerateDataKeyWithoutPlaintextRequest input, RequestContext context)
    {
        KeyService.DataKeySize(input.KeySpec, input.NumberOfBytes);
        var key = await KeyAsync(context, input.KeyId, "kms:GenerateDataKeyWithoutPlaintext");
        var (plaintext, blob) = await keys.GenerateDataKeyAsync(key, input.KeySpec, input.NumberOfBytes, input.EncryptionContext, context.Aborted);
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(plaintext);
        return new GenerateDataKeyWithoutPlaintextResponse { CiphertextBlob = blob, KeyId = key.Arn };
    }

    private async Task<(KmsKey Key, byte[] Plaintext)> DecryptCoreAsync(RequestContext context, byte[]? ciphertext, string? keyId,
        Dictionary<string, string>? encryptionContext, string action)
    {
        var parsed = KeyService.ParseCiphertext(ciphertext);
        KmsKey key;
        try
        {
            key = await keys.GetKeyAsync(context.AccountId, context.Region, parsed.KeyArn, context.Aborted);
        }
        catch (Core.Errors.AwsException e) when (e.Code == "NotFoundException" && keyId is null)
        {
            // A ciphertext whose key is gone (deleted after its waiting period) cannot be decrypted.
            throw KmsErrors.InvalidCiphertext();
        }

        if (keyId is not null)
        {
            var named = await keys.GetKeyAsync(context.AccountId, context.Region, keyId, context.Aborted);
            if (named.Arn != key.Arn)
            {
                throw KmsErrors.IncorrectKey();
            }
        }

        await auth.CheckAsync(context, action, key);
        return (key, keys.Decrypt(key, parsed, encryptionContext));
    }

    private static void RequireSymmetric(string? algorithm, string member)
    {
        if (algorithm is not (null or SymmetricDefault))
        {
            throw KmsErrors.Validation($"1 validation error detected: Value '{algorithm}' at '{member}' failed to satisfy constraint: " +
                                       "Member must satisfy enum value set: [SYMMETRIC_DEFAULT, RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256, SM2PKE]");
        }
    }
}
