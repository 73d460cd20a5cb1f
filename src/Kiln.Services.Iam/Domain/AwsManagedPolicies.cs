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
            // NOT verbatim: AWS's ReadOnlyAccess lists thousands of read actions of every service
            // ("AWS managed policies for job functions", IAM User Guide). This keeps its documented
            // intent — Get/List/Describe (and the like) of every service Kiln serves — and nothing
            // that writes.
            New("ReadOnlyAccess", "/", "ANPAILL3HVNFSB6DCOWYQ",
                "Provides read-only access to AWS services and resources.",
                """
                {"Version":"2012-10-17","Statement":[{"Sid":"KilnReadOnlyIntent","Effect":"Allow","Action":[
                "s3:Get*","s3:List*","s3:Describe*","iam:Get*","iam:List*","iam:Generate*","iam:Simulate*",
                "sts:GetCallerIdentity","kms:Describe*","kms:Get*","kms:List*","cloudtrail:Describe*",
                "cloudtrail:Get*","cloudtrail:List*","cloudtrail:LookupEvents","cloudwatch:Describe*",
                "cloudwatch:Get*","cloudwatch:List*","logs:Describe*","logs:Get*","logs:FilterLogEvents",
                "logs:StartQuery","logs:StopQuery","logs:TestMetricFilter","kinesis:Describe*","kinesis:Get*",
                "kinesis:List*","firehose:Describe*","firehose:List*","glue:Get*","glue:List*","glue:Search*",
                "athena:Batch*","athena:Get*","athena:List*","sagemaker:Describe*","sagemaker:List*",
                "sagemaker:Search","sagemaker:Get*","application-autoscaling:Describe*","events:Describe*",
                "events:List*","events:Test*"],"Resource":"*"}]}
                """),
        };
        return list.ToDictionary(p => p.Arn, StringComparer.Ordinal);
    }

    private static ManagedPolicy New(string name, string path, string id, string description, string document) => new()
    {
        Name = name,
        Path = path,
        Id = id,
        Arn = ArnPrefix + name,
        Description = description,
        CreateDate = s_created,
        UpdateDate = s_created,
        DefaultVersionId = "v1",
        Versions = [new ManagedPolicyVersion("v1", document.Trim(), s_created)],
    };
}
