namespace Kiln.Services.CloudTrail.Domain;

/// <summary>One resource of an event, as LookupEvents (ResourceType, ResourceName) and the record's
/// "resources" (ARN, accountId, type) report it.</summary>
public sealed record TrailResource(string Arn, string? AccountId, string Type, string Name);

/// <summary>Turns the ARNs the authorize stage resolved into CloudTrail resources. Types follow
/// CloudFormation's names, as CloudTrail's do (<c>AWS::S3::Bucket</c>, <c>AWS::IAM::User</c>,
/// <c>AWS::KMS::Key</c>); the name is what LookupEvents' ResourceName matches: the bucket name, the
/// IAM entity's name, otherwise the ARN.</summary>
public static class TrailResources
{
    private static readonly Dictionary<string, string> s_services = new(StringComparer.Ordinal)
    {
        ["s3"] = "S3", ["iam"] = "IAM", ["kms"] = "KMS", ["sts"] = "STS", ["sagemaker"] = "SageMaker",
        ["cloudtrail"] = "CloudTrail", ["kinesis"] = "Kinesis", ["firehose"] = "KinesisFirehose", ["glue"] = "Glue",
        ["athena"] = "Athena", ["logs"] = "Logs", ["cloudwatch"] = "CloudWatch", ["dynamodb"] = "DynamoDB",
    };

    public static IReadOnlyList<TrailResource> From(IReadOnlyList<string>? arns)
    {
        if (arns is not { Count: > 0 })
        {
            return [];
        }

        var list = new List<TrailResource>(arns.Count + 1);
        foreach (var arn in arns)
        {
            if (Parse(arn) is not { } r)
            {
                continue;
            }

            list.Add(r);
            // S3 records an object's bucket beside the object.
            if (r.Type == "AWS::S3::Object" && Parse(arn[..arn.IndexOf('/', StringComparison.Ordinal)]) is { } bucket &&
                !list.Contains(bucket) && !arns.Contains(bucket.Arn))
            {
                list.Add(bucket);
            }
        }

        return list;
    }

    public static TrailResource? Parse(string arn)
    {
        var parts = arn.Split(':', 6);
        if (parts.Length != 6 || parts[0] != "arn" || parts[5].Length == 0)
        {
            return null;
        }

        var service = parts[2];
        var account = parts[4].Length > 0 ? parts[4] : null;
        var resource = parts[5];
        var serviceName = s_services.GetValueOrDefault(service) ?? Pascal(service);
        if (service == "s3")
        {
            var slash = resource.IndexOf('/', StringComparison.Ordinal);
            return slash < 0
                ? new TrailResource(arn, account, "AWS::S3::Bucket", resource)
                : new TrailResource(arn, account, "AWS::S3::Object", arn);
        }

        var separator = resource.IndexOfAny(['/', ':']);
        if (separator < 0)
        {
            return new TrailResource(arn, account, $"AWS::{serviceName}::{Pascal(resource)}", arn);
        }

        var type = Pascal(resource[..separator]);
        var name = service == "iam" ? resource[(resource.LastIndexOf('/') + 1)..] : arn;
        return new TrailResource(arn, account, $"AWS::{serviceName}::{type}", name);
    }

    /// <summary><c>training-job</c> → <c>TrainingJob</c>.</summary>
    private static string Pascal(string text) =>
        string.Concat(text.Split('-', StringSplitOptions.RemoveEmptyEntries).Select(w => char.ToUpperInvariant(w[0]) + w[1..]));
}
