using Kiln.Core.Errors;

namespace Kiln.Services.Kms;

/// <summary>KMS's errors in AWS's wording. Codes are the KMS model's error shapes (all 400, except
/// KMSInternalException); ValidationException and AccessDeniedException are the JSON protocol's
/// common errors, which KMS returns without modelling them.</summary>
public static class KmsErrors
{
    public static AwsException KeyNotFound(string keyArn) => new("NotFoundException", $"Key '{keyArn}' does not exist", 400);
    public static AwsException AliasNotFound(string aliasArn) => new("NotFoundException", $"Alias {aliasArn} is not found.", 400);
    public static AwsException InvalidKeyId(string keyId) => new("NotFoundException", $"Invalid keyId '{keyId}'", 400);
    public static AwsException PolicyNotFound() => new("NotFoundException", "No such policy exists", 400);

    public static AwsException Disabled(string keyArn) => new("DisabledException", $"{keyArn} is disabled.", 400);
    public static AwsException PendingDeletion(string keyArn) => new("KMSInvalidStateException", $"{keyArn} is pending deletion.", 400);
    public static AwsException NotPendingDeletion(string keyArn) => new("KMSInvalidStateException", $"{keyArn} is not pending deletion.", 400);

    /// <summary>KMS answers a ciphertext it cannot authenticate (wrong key, wrong context, tampered)
    /// with this code and no message.</summary>
    public static AwsException InvalidCiphertext() => new("InvalidCiphertextException", "", 400);
    public static AwsException IncorrectKey() => new("IncorrectKeyException",
        "The key ID in the request does not identify a KMS key that can perform this operation.", 400);

    public static AwsException AliasExists(string aliasArn) => new("AlreadyExistsException", $"An alias with the name {aliasArn} already exists", 400);
    public static AwsException ReservedAlias() => new("NotAuthorizedException", "Cannot create, update or delete an alias with the reserved prefix alias/aws/", 400);
    public static AwsException InvalidAliasName(string name) => new("InvalidAliasNameException",
        $"Alias name {name} must begin with 'alias/' followed by 1-250 characters of [a-zA-Z0-9/_-].", 400);
    public static AwsException InvalidMarker() => new("InvalidMarkerException", "Invalid marker", 400);

    public static AwsException MalformedPolicyDocument(string message) => new("MalformedPolicyDocumentException", message, 400);
    public static AwsException Unsupported(string message) => new("UnsupportedOperationException", message, 400);
    public static AwsException Validation(string message) => new("ValidationException", message, 400);
    public static AwsException AccessDenied(string message) => new("AccessDeniedException", message, 400);

    /// <summary>The model validator's wording for a number out of range.</summary>
    public static AwsException Range(string member, long value, long min, long max) => Validation(value < min
        ? $"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: Member must have value greater than or equal to {min}"
        : $"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: Member must have value less than or equal to {max}");
}
