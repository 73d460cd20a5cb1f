namespace Kiln.CodeGen;

/// <summary>The C# name of each service (folder, namespace <c>Kiln.Model.&lt;Pascal&gt;</c>, class prefix).
/// Fixed by hand for the services we ship so names stay stable if botocore renames its serviceId.</summary>
public static class ServiceNames
{
    private static readonly Dictionary<string, string> Known = new(StringComparer.Ordinal)
    {
        ["s3"] = "S3",
        ["s3control"] = "S3Control",
        ["kinesis"] = "Kinesis",
        ["firehose"] = "Firehose",
        ["glue"] = "Glue",
        ["athena"] = "Athena",
        ["sagemaker"] = "SageMaker",
        ["sagemaker-runtime"] = "SageMakerRuntime",
        ["sagemaker-featurestore-runtime"] = "SageMakerFeatureStoreRuntime",
        ["iam"] = "Iam",
        ["sts"] = "Sts",
        ["kms"] = "Kms",
        ["cloudtrail"] = "CloudTrail",
        ["cloudwatch"] = "CloudWatch",
        ["logs"] = "Logs",
        ["stepfunctions"] = "StepFunctions",
        ["lambda"] = "Lambda",
        ["events"] = "Events",
        ["application-autoscaling"] = "ApplicationAutoScaling",
        ["databrew"] = "DataBrew",
        ["sqs"] = "Sqs",
        ["sns"] = "Sns",
    };

    /// <summary>Known name, else the id split on '-' with each part capitalised (<c>foo-bar</c> → <c>FooBar</c>).</summary>
    public static string Pascal(string serviceId) =>
        Known.TryGetValue(serviceId, out var name)
            ? name
            : string.Concat(serviceId.Split('-', StringSplitOptions.RemoveEmptyEntries)
                .Select(part => char.ToUpperInvariant(part[0]) + part[1..]));
}
