using System.Text.RegularExpressions;

namespace Kiln.Services.Iam.Domain;

/// <summary>The IAM model's constraints on names and paths, checked with the validator's wording
/// ("1 validation error detected: Value 'x' at 'userName' failed to satisfy constraint: ...").</summary>
public static partial class IamNames
{
    [GeneratedRegex(@"^[\w+=,.@-]+$")]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"^((/)|(/[\u0021-\u007E]+/))$")]
    private static partial Regex PathPattern();

    public static void CheckName(string? value, string member, int max)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw IamErrors.ValidationError(
                $"1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null");
        }

        if (value.Length > max)
        {
            throw IamErrors.ValidationError(
                $"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: " +
                $"Member must have length less than or equal to {max}");
        }

        if (!NamePattern().IsMatch(value))
        {
            throw IamErrors.ValidationError(
                $"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: " +
                @"Member must satisfy regular expression pattern: [\w+=,.@-]+");
        }
    }

    public static string CheckPath(string? path, string member = "path")
    {
        path ??= "/";
        if (path.Length > 512 || !PathPattern().IsMatch(path))
        {
            throw IamErrors.ValidationError(
                $"1 validation error detected: Value '{path}' at '{member}' failed to satisfy constraint: " +
                @"Member must satisfy regular expression pattern: (\u002F)|(\u002F[\u0021-\u007E]+\u002F)");
        }

        return path;
    }

    /// <summary>IAM names are unique regardless of case ("you cannot create resources named both
    /// MyResource and myresource", IAM identifiers), so stores key them in lower case.</summary>
    public static string Key(string name) => name.ToLowerInvariant();

    public static string UserArn(string account, string path, string name) => $"arn:aws:iam::{account}:user{path}{name}";
    public static string GroupArn(string account, string path, string name) => $"arn:aws:iam::{account}:group{path}{name}";
    public static string RoleArn(string account, string path, string name) => $"arn:aws:iam::{account}:role{path}{name}";
    public static string PolicyArn(string account, string path, string name) => $"arn:aws:iam::{account}:policy{path}{name}";

    /// <summary>The name at the end of an IAM ARN (after the last '/').</summary>
    public static string NameOf(string arn) => arn[(arn.LastIndexOf('/') + 1)..];
}
