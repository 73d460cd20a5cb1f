using System.Globalization;
using System.Net;
using System.Security.Cryptography;

namespace Kiln.Services.CloudTrail.Domain;

/// <summary>Trail names, trail ARNs and log file keys.</summary>
public static class TrailNames
{
    private const string Alphanumerics = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    public static string Arn(string region, string account, string name) => $"arn:aws:cloudtrail:{region}:{account}:trail/{name}";

    /// <summary>CreateTrail's naming rules (API reference, Name): "Contain only ASCII letters (a-z,
    /// A-Z), numbers (0-9), periods (.), underscores (_), or dashes (-); Start with a letter or number,
    /// and end with a letter or number; Be between 3 and 128 characters; Have no adjacent periods,
    /// underscores or dashes...; Not be in IP address format".</summary>
    public static void CheckName(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            throw CloudTrailErrors.TrailNotProvided();
        }

        if (name.Length < 3)
        {
            throw CloudTrailErrors.InvalidTrailName(
                $"Trail name too short. Minimum allowed length: 3 characters. Specified name length: {name.Length} characters.");
        }

        if (name.Length > 128)
        {
            throw CloudTrailErrors.InvalidTrailName(
                $"Trail name too long. Maximum allowed length: 128 characters. Specified name length: {name.Length} characters.");
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            {
                throw CloudTrailErrors.InvalidTrailName(
                    "Trail name or ARN can only contain uppercase letters, lowercase letters, numbers, periods (.), hyphens (-), and underscores (_).");
            }
        }

        if (!char.IsAsciiLetterOrDigit(name[0]))
        {
            throw CloudTrailErrors.InvalidTrailName("Trail name must starts with a letter or number.");
        }

        if (!char.IsAsciiLetterOrDigit(name[^1]))
        {
            throw CloudTrailErrors.InvalidTrailName("Trail name must ends with a letter or number.");
        }

        for (var i = 1; i < name.Length; i++)
        {
            if (!char.IsAsciiLetterOrDigit(name[i]) && !char.IsAsciiLetterOrDigit(name[i - 1]))
            {
                throw CloudTrailErrors.InvalidTrailName(
                    $"Trail name cannot have adjacent periods, underscores or dashes. Specified name: {name}");
            }
        }

        if (IPAddress.TryParse(name, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork &&
            name.Count(c => c == '.') == 3)
        {
            throw CloudTrailErrors.InvalidTrailName("Trail name cannot be formatted as an IP address.");
        }
    }

    /// <summary>Parses <c>arn:aws:cloudtrail:REGION:ACCOUNT:trail/NAME</c>; null when it is not an ARN at all.</summary>
    public static (string Region, string Account, string Name)? ParseArn(string nameOrArn)
    {
        if (!nameOrArn.StartsWith("arn:", StringComparison.Ordinal))
        {
            return null;
        }

        var parts = nameOrArn.Split(':', 6);
        if (parts.Length != 6 || parts[1] != "aws" || parts[2] != "cloudtrail" || parts[3].Length == 0 ||
            parts[4].Length != 12 || !parts[4].All(char.IsAsciiDigit) || !parts[5].StartsWith("trail/", StringComparison.Ordinal))
        {
            throw CloudTrailErrors.ArnInvalid(nameOrArn);
        }

        var name = parts[5]["trail/".Length..];
        CheckName(name);
        return (parts[3], parts[4], name);
    }

    /// <summary>"S3 bucket names must be between 3 and 63 characters... only lowercase letters, numbers,
    /// dots, and hyphens... begin and end with a letter or number" (S3 bucket naming rules).</summary>
    public static bool IsValidBucketName(string name) =>
        name.Length is >= 3 and <= 63 && char.IsAsciiLetterOrDigit(name[0]) && char.IsAsciiLetterOrDigit(name[^1]) &&
        name.All(c => char.IsAsciiDigit(c) || char.IsAsciiLetterLower(c) || c is '.' or '-') &&
        !name.Contains("..", StringComparison.Ordinal);

    /// <summary>The object key of a log file ("CloudTrail log file examples", Log file name format):
    /// <c>[prefix/]AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHmmZ_UniqueString.json.gz</c>,
    /// the unique string 16 random alphanumeric characters.</summary>
    public static string LogFileKey(string? prefix, string account, string region, DateTimeOffset time)
    {
        var t = time.UtcDateTime;
        var unique = RandomNumberGenerator.GetString(Alphanumerics, 16);
        return Folder(prefix, account) + "CloudTrail/" + region + "/" + t.ToString("yyyy'/'MM'/'dd", CultureInfo.InvariantCulture) + "/" +
               account + "_CloudTrail_" + region + "_" + t.ToString("yyyyMMdd'T'HHmm'Z'", CultureInfo.InvariantCulture) + "_" +
               unique + ".json.gz";
    }

    /// <summary><c>[prefix/]AWSLogs/ACCOUNT/</c>, the folder the bucket policy must open to CloudTrail.</summary>
    public static string Folder(string? prefix, string account) =>
        (string.IsNullOrEmpty(prefix) ? "" : prefix + "/") + "AWSLogs/" + account + "/";
}
