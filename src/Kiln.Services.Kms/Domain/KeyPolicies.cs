using Kiln.Core;
using Kiln.Core.Errors;

namespace Kiln.Services.Kms.Domain;

/// <summary>Key policies: the default one, validation with Kiln.Policy, and a cache of parsed documents.</summary>
public static class KeyPolicies
{
    public const string DefaultPolicyName = "default";
    /// <summary>"The maximum size of a key policy document is 32 KB (32768 bytes)" (PutKeyPolicy).</summary>
    public const int MaxPolicySize = 32 * 1024;

    private static readonly BoundedCache<string, Policy.Policy> s_parsed = new(10_000, StringComparer.Ordinal);

    /// <summary>The default key policy KMS writes when CreateKey has no Policy: it gives the account
    /// (its root user) full access and so enables IAM policies ("Default key policy", AWS KMS Developer Guide).</summary>
    public static string Default(string accountId) => $$"""
        {
          "Version" : "2012-10-17",
          "Id" : "key-default-1",
          "Statement" : [ {
            "Sid" : "Enable IAM User Permissions",
            "Effect" : "Allow",
            "Principal" : {
              "AWS" : "arn:aws:iam::{{accountId}}:root"
            },
            "Action" : "kms:*",
            "Resource" : "*"
          } ]
        }
        """;

    /// <summary>The key policy of an AWS managed key (<c>alias/aws/&lt;service&gt;</c>, "AWS managed keys"
    /// in the KMS Developer Guide): every principal of the account may use it for cryptography, and
    /// the account may read its metadata. AWS also conditions the first statement on kms:ViaService;
    /// Kiln has no such key, so the key is usable directly as well as through the service.</summary>
    public static string AwsManaged(string accountId) => $$"""
        {
          "Version" : "2012-10-17",
          "Id" : "auto-managed-key-policy",
          "Statement" : [ {
            "Sid" : "Allow access through the service for all principals in the account that are authorized to use it",
            "Effect" : "Allow",
            "Principal" : {
              "AWS" : "*"
            },
            "Action" : [ "kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey" ],
            "Resource" : "*",
            "Condition" : {
              "StringEquals" : {
                "aws:PrincipalAccount" : "{{accountId}}"
              }
            }
          }, {
            "Sid" : "Allow direct access to key metadata to the account",
            "Effect" : "Allow",
            "Principal" : {
              "AWS" : "arn:aws:iam::{{accountId}}:root"
            },
            "Action" : [ "kms:Describe*", "kms:Get*", "kms:List*" ],
            "Resource" : "*"
          } ]
        }
        """;

    /// <summary>Parses and validates a key policy, answering KMS's MalformedPolicyDocumentException.</summary>
    public static Policy.Policy Parse(string document)
    {
        if (s_parsed.TryGet(document, out var cached))
        {
            return cached;
        }

        if (document.Length > MaxPolicySize)
        {
            throw KmsErrors.Validation($"1 validation error detected: Value at 'policy' failed to satisfy constraint: " +
                                       $"Member must have length less than or equal to {MaxPolicySize}");
        }

        Policy.Policy policy;
        try
        {
            policy = Policy.Policy.Parse(document, Policy.PolicyKind.Resource, "key-policy");
        }
        catch (AwsException e) when (e.Code == "MalformedPolicyDocument")
        {
            throw KmsErrors.MalformedPolicyDocument(e.Message);
        }

        s_parsed.Set(document, policy);
        return policy;
    }
}
