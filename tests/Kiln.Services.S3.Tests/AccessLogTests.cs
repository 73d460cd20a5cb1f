using Kiln.Core.Errors;
using Kiln.Core.Shapes;
using Kiln.Services.S3.Domain;

namespace Kiln.Services.S3.Tests;

/// <summary>Server access logging: configuration checks, AWS's line format, delivery as objects.</summary>
public sealed class AccessLogTests : IDisposable
{
    private readonly Harness _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public async Task SetBucketLogging_TargetMissing_InvalidTargetBucketForLogging()
    {
        var bucket = await _h.BucketAsync();
        var error = await Assert.ThrowsAsync<AwsException>(() =>
            _h.Objects.SetBucketLoggingAsync(Harness.Account, bucket, new AccessLogTarget("no-such-target", "logs/"), default));
        Assert.Equal(("InvalidTargetBucketForLogging", "The target bucket for logging does not exist"), (error.Code, error.Message));
        Assert.Null(await _h.Objects.GetBucketLoggingAsync(Harness.Account, bucket, default));
    }

    [Fact]
    public void Format_MatchesAwsFieldLayout()
    {
        var line = new AccessLogRecord
        {
            BucketOwner = "111111111111", Bucket = "src", Time = new DateTimeOffset(2019, 2, 6, 0, 0, 38, TimeSpan.Zero),
            RemoteIp = "192.0.2.3", Requester = "arn:aws:iam::111111111111:root", RequestId = "3E57427F3EXAMPLE",
            Operation = "REST.GET.OBJECT", Key = "dir/a b.txt", RequestUri = "GET /src/dir/a%20b.txt HTTP/1.1",
            HttpStatus = 200, BytesSent = 113, ObjectSize = 113, TotalTimeMs = 7, TurnAroundTimeMs = 7,
            UserAgent = "aws-cli/2", VersionId = null,
        }.Format();

        Assert.Equal("111111111111 src [06/Feb/2019:00:00:38 +0000] 192.0.2.3 arn:aws:iam::111111111111:root " +
                     "3E57427F3EXAMPLE REST.GET.OBJECT dir/a%20b.txt \"GET /src/dir/a%20b.txt HTTP/1.1\" 200 - 113 113 7 7 " +
                     "\"-\" \"aws-cli/2\" - - SigV4 - AuthHeader - - - -", line);
    }

    [Theory]
    [InlineData("GetObject", "GET", "/{Bucket}/{Key+}?x-id=GetObject", true, "REST.GET.OBJECT")]
    [InlineData("ListObjectsV2", "GET", "/{Bucket}?list-type=2", false, "REST.GET.BUCKET")]
    [InlineData("PutBucketLifecycleConfiguration", "PUT", "/{Bucket}?lifecycle", false, "REST.PUT.LIFECYCLE")]
    [InlineData("PutObjectTagging", "PUT", "/{Bucket}/{Key+}?tagging", true, "REST.PUT.OBJECT_TAGGING")]
    [InlineData("UploadPart", "PUT", "/{Bucket}/{Key+}?x-id=UploadPart", true, "REST.PUT.PART")]
    public void Operation_NamedAsS3Logs(string name, string method, string uri, bool hasKey, string expected)
    {
        var op = new OperationInfo(name, new ServiceInfo("s3")) { HttpMethod = method, RequestUri = uri };
        Assert.Equal(expected, AccessLogFormat.Operation(op, hasKey));
    }

    [Fact]
    public async Task Delivery_WritesBufferedLinesToTargetWithPrefix()
    {
        var source = await _h.BucketAsync("source-bucket");
        var target = await _h.BucketAsync("log-bucket");
        await _h.Objects.SetBucketLoggingAsync(Harness.Account, source, new AccessLogTarget(target, "logs/"), default);
        var recorder = new AccessLogRecorder(_h.Objects);
        Assert.NotNull(await recorder.TargetOfAsync(source, default));
        recorder.Record(new AccessLogRecord
        {
            BucketOwner = Harness.Account, Bucket = source, Time = _h.Clock.UtcNow, RequestId = "r1",
            Operation = "REST.PUT.OBJECT", Key = "k", RequestUri = "PUT /source-bucket/k HTTP/1.1", HttpStatus = 200,
        });

        Assert.Equal(1, await new AccessLogDelivery(_h.Objects, recorder).FlushAsync(default));
        var listed = await _h.Store.ListLatestAsync(target, "logs/", "", 10, default);
        var log = Assert.Single(listed);
        Assert.Matches(@"^logs/2026-11-21-12-00-00-[0-9A-F]{16}$", log.Key);
        Assert.Contains("REST.PUT.OBJECT k \"PUT /source-bucket/k HTTP/1.1\" 200", await _h.ReadAsync(target, log.Key));

        await _h.Objects.SetBucketLoggingAsync(Harness.Account, source, null, default);
        Assert.Null(await recorder.TargetOfAsync(source, default));
    }
}
