using Kiln.Core.Errors;

namespace Kiln.Services.Iam;

/// <summary>IAM's errors in AWS's wording (messages as IAM returns them; codes and statuses from the
/// IAM model's error shapes: NoSuchEntity 404, EntityAlreadyExists 409, DeleteConflict 409,
/// LimitExceeded 409, MalformedPolicyDocument 400, InvalidInput 400).</summary>
public static class IamErrors
{
    public static AwsException NoSuchUser(string name) => new("NoSuchEntity", $"The user with name {name} cannot be found.", 404);
    public static AwsException NoSuchGroup(string name) => new("NoSuchEntity", $"The group with name {name} cannot be found.", 404);
    public static AwsException NoSuchRole(string name) => new("NoSuchEntity", $"The role with name {name} cannot be found.", 404);
    public static AwsException NoSuchPolicy(string arn) => new("NoSuchEntity", $"Policy {arn} does not exist or is not attachable.", 404);
    public static AwsException PolicyNotFound(string arn) => new("NoSuchEntity", $"Policy {arn} was not found.", 404);
    public static AwsException NoSuchPolicyVersion(string arn, string version) =>
        new("NoSuchEntity", $"Policy {arn} version {version} does not exist or is not attachable.", 404);
    public static AwsException NoSuchInlinePolicy(string kind, string name) =>
        new("NoSuchEntity", $"The {kind} policy with name {name} cannot be found.", 404);
    public static AwsException NoSuchAccessKey(string id) =>
        new("NoSuchEntity", $"The Access Key with id {id} cannot be found.", 404);

    public static AwsException NoSuchPolicySource(string arn) => new("NoSuchEntity", $"The entity {arn} cannot be found.", 404);

    public static AwsException NoSuchMfaDevice(string serial) =>
        new("NoSuchEntity", $"MFA Device with serial number {serial} does not exist.", 404);

    public static AwsException MfaDeviceExists() =>
        new("EntityAlreadyExists", "MFADevice entity at the same path and name already exists.", 409);

    public static AwsException MfaDeviceInUse() => new("EntityAlreadyExists", "MFA Device is already in use.", 409);

    /// <summary>EnableMFADevice with codes that are not two consecutive TOTP codes of the device
    /// (model: InvalidAuthenticationCode, 403).</summary>
    public static AwsException InvalidAuthenticationCode() =>
        new("InvalidAuthenticationCode", "Authentication code for device is not valid.", 403);

    public static AwsException UserExists(string name) => new("EntityAlreadyExists", $"User with name {name} already exists.", 409);
    public static AwsException GroupExists(string name) => new("EntityAlreadyExists", $"Group with name {name} already exists.", 409);
    public static AwsException RoleExists(string name) => new("EntityAlreadyExists", $"Role with name {name} already exists.", 409);
    public static AwsException PolicyExists(string name) =>
        new("EntityAlreadyExists", $"A policy called {name} already exists. Duplicate names are not allowed.", 409);

    public static AwsException DeleteConflict(string message) => new("DeleteConflict", message, 409);
    public static AwsException LimitExceeded(string message) => new("LimitExceeded", message, 409);
    public static AwsException InvalidInput(string message) => new("InvalidInput", message, 400);

    /// <summary>A member that breaks the model's constraint, in the wording IAM's validator uses.</summary>
    public static AwsException ValidationError(string message) => new("ValidationError", message, 400);
}
