using Kiln.Core.Audit;
using Kiln.Core.Shapes;
using Kiln.Services.CloudTrail.Domain;

namespace Kiln.Services.CloudTrail.Tests;

public sealed class TrailResourcesTests
{
    [Theory]
    [InlineData("arn:aws:s3:::bucket", "AWS::S3::Bucket", "bucket")]
    [InlineData("arn:aws:s3:::bucket/dir/key.csv", "AWS::S3::Object", "arn:aws:s3:::bucket/dir/key.csv")]
    [InlineData("arn:aws:iam::111122223333:user/division/alice", "AWS::IAM::User", "alice")]
    [InlineData("arn:aws:iam::111122223333:role/r1", "AWS::IAM::Role", "r1")]
    [InlineData("arn:aws:kms:us-east-1:111122223333:key/k1", "AWS::KMS::Key", "arn:aws:kms:us-east-1:111122223333:key/k1")]
    [InlineData("arn:aws:sagemaker:us-east-1:111122223333:training-job/j", "AWS::SageMaker::TrainingJob", "arn:aws:sagemaker:us-east-1:111122223333:training-job/j")]
    public void Parse_Arn_GivesCloudTrailTypeAndName(string arn, string type, string name)
    {
        var r = TrailResources.Parse(arn)!;
        Assert.Equal(type, r.Type);
        Assert.Equal(name, r.Name);
    }

    [Fact]
    public void From_ObjectArn_AddsItsBucket() =>
        Assert.Equal(["AWS::S3::Object", "AWS::S3::Bucket"], TrailResources.From(["arn:aws:s3:::b/k"]).Select(r => r.Type));

    [Fact]
    public void From_NotAnArn_IsSkipped() => Assert.Empty(TrailResources.From(["*", "nonsense"]));

    [Fact]
    public async Task Lookup_ByResourceNameAndType_FindsEventsOnThatResource()
    {
        var t0 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        AuditEvent E(int i, string op, params string[] arns) =>
            new(t0.AddSeconds(i), "r" + i, "111122223333", "us-east-1", "arn:aws:iam::111122223333:root", "AKIA", "s3", op, null, null, 200,
                null, null, arns.Length == 0 ? null : arns);
        var lookup = new EventLookup(new ListAuditLog([E(1, "CreateBucket", "arn:aws:s3:::alpha"), E(2, "CreateBucket", "arn:aws:s3:::beta"),
                E(3, "ListBuckets")]),
            TrailRecord.Factory([new ServiceInfo("s3") { EndpointPrefix = "s3" }]));

        var (byName, _) = await lookup.LookupAsync(new LookupQuery("111122223333", "ResourceName", "alpha", null, null, 50, null), default);
        var (byType, _) = await lookup.LookupAsync(new LookupQuery("111122223333", "ResourceType", "AWS::S3::Bucket", null, null, 50, null), default);

        Assert.Equal(["r1"], byName.Select(e => e.Event.RequestId));
        Assert.Equal(["r2", "r1"], byType.Select(e => e.Event.RequestId));
        Assert.Equal("alpha", byName[0].Resources[0].Name);
    }
}
