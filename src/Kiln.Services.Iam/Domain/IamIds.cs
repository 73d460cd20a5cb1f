using System.Security.Cryptography;

namespace Kiln.Services.Iam.Domain;

/// <summary>IAM's unique ids: a four-letter prefix naming the kind and 17 characters of base32,
/// 21 in all ("Unique identifiers" in IAM identifiers: AIDA user, AGPA group, AROA role, ANPA
/// managed policy, AKIA access key, ASIA temporary access key).</summary>
public static class IamIds
{
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    public static string User() => "AIDA" + RandomNumberGenerator.GetString(Alphabet, 17);
    public static string Group() => "AGPA" + RandomNumberGenerator.GetString(Alphabet, 17);
    public static string Role() => "AROA" + RandomNumberGenerator.GetString(Alphabet, 17);
    public static string Policy() => "ANPA" + RandomNumberGenerator.GetString(Alphabet, 17);

    /// <summary>Access key ids are 20 characters: the prefix and 16 more.</summary>
    public static string AccessKey() => "AKIA" + RandomNumberGenerator.GetString(Alphabet, 16);
    public static string TemporaryAccessKey() => "ASIA" + RandomNumberGenerator.GetString(Alphabet, 16);
}
