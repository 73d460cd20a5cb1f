using System.Security.Cryptography;
using Kiln.Core;

namespace Kiln.Storage.Accounts;

/// <summary>Validation and generation of account ids, names and keys, shared by every store.</summary>
public static class AccountRules
{
    // AWS access key ids are 16-128 characters of [A-Z0-9] (IAM AccessKeyMetadata pattern \w+, and
    // in practice an upper-case prefix such as AKIA followed by base32). Secrets are 40 characters
    // of base64's alphabet; we accept any 16-128 visible ASCII characters without spaces.
    private const string KeyAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    private const string SecretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    /// <summary>Checks a new account's input, generating the root key and secret not given.</summary>
    /// <exception cref="AccountException">Any of them is invalid.</exception>
    public static (string AccessKeyId, string SecretAccessKey) CheckNewAccount(string name, string? accessKeyId,
        string? secretAccessKey)
    {
        CheckName(name);
        accessKeyId ??= NewAccessKeyId();
        secretAccessKey ??= NewSecretAccessKey();
        CheckAccessKeyId(accessKeyId);
        CheckSecret(secretAccessKey);
        return (accessKeyId, secretAccessKey);
    }

    private static void CheckName(string name)
    {
        if (name.Length is < 1 or > 50 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            throw new AccountException(
                $"Invalid account name '{name}': use 1-50 characters of letters, digits, '-', '_' and '.'.");
        }
    }

    private static void CheckAccessKeyId(string id)
    {
        if (id.Length is < 16 or > 128 || !id.All(c => char.IsAsciiLetterUpper(c) || char.IsAsciiDigit(c)))
        {
            throw new AccountException("Invalid access key id: use 16-128 characters of A-Z and 0-9.");
        }
    }

    private static void CheckSecret(string secret)
    {
        if (secret.Length is < 16 or > 128 || !secret.All(c => c is > ' ' and < (char)127))
        {
            throw new AccountException("Invalid secret access key: use 16-128 visible ASCII characters, no spaces.");
        }
    }

    public static string NewAccountId()
    {
        // Twelve digits, not starting with 0 so that no tool strips it as a number.
        return RandomNumberGenerator.GetInt32(1, 10).ToString() + RandomNumberGenerator.GetString("0123456789", 11);
    }

    public static string NewAccessKeyId() => "AKIA" + RandomNumberGenerator.GetString(KeyAlphabet, 16);

    public static string NewSecretAccessKey() => RandomNumberGenerator.GetString(SecretAlphabet, 40);

    public static AccessKey RootKey(string accessKeyId, string accountId, DateTimeOffset now) =>
        new(accessKeyId, accountId, $"arn:aws:iam::{accountId}:root", accountId, PrincipalKind.Root, true, now);
}
