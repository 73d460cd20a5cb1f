namespace Kiln.Services.Iam.Domain;

/// <summary>The AWS managed policies Kiln ships, under <c>arn:aws:iam::aws:policy/NAME</c>. They are
/// the same in every account and cannot be changed, so they live in code rather than the store.</summary>
public static class AwsManagedPolicies
{
    public const string ArnPrefix = "arn:aws:iam::aws:policy/";

    // A fixed date for every AWS managed policy: AWS reports the policy's own creation date, which
    // a local copy cannot know; a constant keeps responses stable.
    private static readonly DateTimeOffset s_created = new(2015, 2, 6, 18, 39, 46, TimeSpan.Zero);

    private static readonly Dictionary<string, ManagedPolicy> s_all = Build();

    public static ManagedPolicy? Find(string arn) => s_all.GetValueOrDefault(arn);

    public static IEnumerable<ManagedPolicy> All => s_all.Values.OrderBy(p => p.Name, StringComparer.Ordinal);

    private static Dictionary<string, ManagedPolicy> Build()
    {
        var list = new[]
        {
            // Verbatim: the one-statement document AWS publishes for AdministratorAccess.
            New("AdministratorAccess", "/", "ANPAIWMBCKSKIEE64ZLYK",
                "Provides full access to AWS services and resources.",
                """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"""),
            // Verbatim (current version): s3 and s3-object-lambda, every action.
            New("AmazonS3FullAccess", "/", "ANPAIFIR6V6BVTRAHWINE",
                "Provides full access to all buckets via the AWS Management Console.",
                """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","s3-object-lambda:*"],"Resource":"*"}]}"""),
            // Verbatim (current version): read and list of s3 and s3-object-lambda.
            New("AmazonS3ReadOnlyAccess", "/", "ANPAIZTJ4DXE7G6AGAE6M",
                "Provides read only access to all buckets via the AWS Management Console.",
                """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Get*","s3:List*","s3:Describe*","s3-object-lambda:Get*","s3-object-lambda:List*"],"Resource":"*"}]}"""),
            // The documents below are AWS's default versions as of February 2026, verbatim, embedded
            // from Domain/ManagedPolicies/*.json, with AWS's version ids.
            Embedded("ReadOnlyAccess", "/", "ANPAILL3HVNFSB6DCOWYQ", "v140",
                "Provides read-only access to AWS services and resources."),
            Embedded("AmazonSageMakerFullAccess", "/", KilnId("AmazonSageMakerFullAccess"), "v27",
                "Provides full access to Amazon SageMaker via the AWS Management Console and SDK. Also provides select access to related services (e.g., S3, ECR, CloudWatch Logs)."),
            Embedded("AmazonKinesisFullAccess", "/", "ANPAIVF32HAMOXCUYRAYE", "v1",
                "Provides full access to all streams via the AWS Management Console."),
            Embedded("AWSGlueServiceRole", "/service-role/", KilnId("AWSGlueServiceRole"), "v5",
                "Policy for AWS Glue service role which allows access to related services including EC2, S3, and Cloudwatch Logs"),
            Embedded("AmazonAthenaFullAccess", "/", "ANPAIPJMLMD4C7RYZ6XCK", "v13",
                "Provide full access to Amazon Athena and scoped access to the dependencies needed to enable querying, writing results, and data management."),
            Embedded("CloudWatchFullAccess", "/", "ANPAIKEABORKUXN6DEAZU", "v4",
                "Provides full access to CloudWatch."),
        };
        return list.ToDictionary(p => p.Arn, StringComparer.Ordinal);
    }

    private static ManagedPolicy Embedded(string name, string path, string id, string versionId, string description)
    {
        using var stream = typeof(AwsManagedPolicies).Assembly.GetManifestResourceStream($"ManagedPolicies.{name}.json")
                           ?? throw new InvalidOperationException($"Managed policy resource {name} is missing");
        using var reader = new StreamReader(stream);
        return New(name, path, id, description, reader.ReadToEnd(), versionId);
    }

    /// <summary>A stable ANPA id for a policy whose real AWS id Kiln does not record: derived from the
    /// name, so it is the same in every account and every run (AWS's own id is not known here).</summary>
    private static string KilnId(string name)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name));
        return "ANPA" + string.Concat(hash.Take(17).Select(b => alphabet[b % 32]));
    }

    private static ManagedPolicy New(string name, string path, string id, string description, string document,
        string versionId = "v1") => new()
    {
        Name = name,
        Path = path,
        Id = id,
        Arn = ArnPrefix + path.TrimStart('/') + name,
        Description = description,
        CreateDate = s_created,
        UpdateDate = s_created,
        DefaultVersionId = versionId,
        Versions = [new ManagedPolicyVersion(versionId, document.Trim(), s_created)],
    };
}
