using System.Text.RegularExpressions;
using Kiln.Core.Shapes;
using Kiln.Protocol.Routing;
using Kiln.Protocol.Tests.Codecs;

namespace Kiln.Protocol.Tests.Routing;

public sealed partial class RestRouteTableTests
{
    private static readonly RestRouteTable S3 = new(BotocoreModel.Load("s3"));
    private static readonly RestRouteTable Lambda = new(BotocoreModel.Load("lambda"));

    private static RestRouteMatch? Match(RestRouteTable table, string method, string pathAndQuery, params (string, string)[] headers)
    {
        var q = pathAndQuery.IndexOf('?');
        var path = q < 0 ? pathAndQuery : pathAndQuery[..q];
        var query = q < 0 ? "" : pathAndQuery[q..];
        return table.Match(Http.Request(method, "/", query, headers), path);
    }

    private static string? Op(RestRouteTable table, string method, string pathAndQuery, params (string, string)[] headers) =>
        Match(table, method, pathAndQuery, headers)?.Operation.Name;

    [Theory]
    [InlineData("GET", "/", "ListBuckets")]
    [InlineData("GET", "/b", "ListObjects")]
    [InlineData("GET", "/b/", "ListObjects")]
    [InlineData("GET", "/b?list-type=2", "ListObjectsV2")]
    [InlineData("GET", "/b?list-type=2&prefix=a&x-id=ListObjectsV2", "ListObjectsV2")]
    [InlineData("GET", "/b?list-type=3", "ListObjects")]
    [InlineData("GET", "/b/k", "GetObject")]
    [InlineData("GET", "/b/k?x-id=GetObject", "GetObject")]
    [InlineData("GET", "/b/k?versionId=v1&partNumber=1", "GetObject")]
    [InlineData("GET", "/b/k?tagging", "GetObjectTagging")]
    [InlineData("GET", "/b/k?tagging=", "GetObjectTagging")]
    [InlineData("GET", "/b?tagging", "GetBucketTagging")]
    [InlineData("GET", "/b?location", "GetBucketLocation")]
    [InlineData("GET", "/b?uploads", "ListMultipartUploads")]
    [InlineData("GET", "/b?versions", "ListObjectVersions")]
    [InlineData("GET", "/b/k?uploadId=u", "ListParts")]
    [InlineData("GET", "/b/k?attributes", "GetObjectAttributes")]
    [InlineData("GET", "/b?lifecycle", "GetBucketLifecycleConfiguration")]
    [InlineData("GET", "/b?lifecycle&x-id=GetBucketLifecycle", "GetBucketLifecycle")]
    [InlineData("GET", "/b?notification", "GetBucketNotificationConfiguration")]
    [InlineData("GET", "/b?analytics", "ListBucketAnalyticsConfigurations")]
    [InlineData("GET", "/b?analytics&id=a1", "GetBucketAnalyticsConfiguration")]
    [InlineData("HEAD", "/b", "HeadBucket")]
    [InlineData("HEAD", "/b/k", "HeadObject")]
    [InlineData("PUT", "/b", "CreateBucket")]
    [InlineData("PUT", "/b/k", "PutObject")]
    [InlineData("PUT", "/b/k?partNumber=1&uploadId=u", "UploadPart")]
    [InlineData("PUT", "/b/k?tagging", "PutObjectTagging")]
    [InlineData("PUT", "/b?lifecycle", "PutBucketLifecycleConfiguration")]
    [InlineData("POST", "/b/k?uploads", "CreateMultipartUpload")]
    [InlineData("POST", "/b/k?uploadId=u", "CompleteMultipartUpload")]
    [InlineData("POST", "/b/k", "CompleteMultipartUpload")]
    [InlineData("POST", "/b/k?restore", "RestoreObject")]
    [InlineData("POST", "/b/k?select&select-type=2", "SelectObjectContent")]
    [InlineData("POST", "/b?delete", "DeleteObjects")]
    [InlineData("DELETE", "/b", "DeleteBucket")]
    [InlineData("DELETE", "/b/k", "DeleteObject")]
    [InlineData("DELETE", "/b/k?uploadId=u", "AbortMultipartUpload")]
    [InlineData("DELETE", "/b?tagging", "DeleteBucketTagging")]
    public void Match_S3_MostSpecificOperationWins(string method, string url, string expected) =>
        Assert.Equal(expected, Op(S3, method, url));

    [Fact]
    public void Match_S3_CopySourceHeaderDiscriminates()
    {
        Assert.Equal("CopyObject", Op(S3, "PUT", "/b/k", ("x-amz-copy-source", "src/k")));
        Assert.Equal("UploadPartCopy", Op(S3, "PUT", "/b/k?partNumber=2&uploadId=u", ("X-Amz-Copy-Source", "src/k")));
        Assert.Equal("UploadPart", Op(S3, "PUT", "/b/k?partNumber=2&uploadId=u"));
        Assert.Equal("PutObject", Op(S3, "PUT", "/b/k?partNumber=2"));
    }

    [Theory]
    [InlineData("/b/a/b/c.txt", "a/b/c.txt")]
    [InlineData("/b/dir/", "dir/")]
    [InlineData("/b//lead//double/", "/lead//double/")]
    [InlineData("/b/sp%20ace+plus%2Bpct%25.txt", "sp ace+plus+pct%.txt")]
    [InlineData("/b/enc%2Fslash", "enc/slash")]
    [InlineData("/b/%C3%BC", "ü")]
    [InlineData("/b/bad%zzescape", "bad%zzescape")]
    public void Match_S3_GreedyKeyIsDecodedAfterMatching(string path, string key)
    {
        var match = Match(S3, "GET", path);
        Assert.NotNull(match);
        Assert.Equal("GetObject", match.Operation.Name);
        Assert.Equal("b", match.Labels["Bucket"]);
        Assert.Equal(key, match.Labels["Key"]);
    }

    [Fact]
    public void Match_S3_ManySegments_GreedyTakesTheRest()
    {
        var key = string.Join('/', Enumerable.Range(0, 200).Select(i => "s" + i));
        var match = Match(S3, "GET", "/bucket/" + key);
        Assert.Equal(key, match!.Labels["Key"]);
    }

    [Theory]
    [InlineData("PATCH", "/b/k")]
    [InlineData("POST", "/b")]
    [InlineData("PUT", "/")]
    public void Match_NoOperation_ReturnsNull(string method, string url) => Assert.Null(Op(S3, method, url));

    [Theory]
    [InlineData("GET", "/2015-03-31/functions/", "ListFunctions")]
    [InlineData("GET", "/2015-03-31/functions", "ListFunctions")]
    [InlineData("GET", "/2015-03-31/functions/f", "GetFunction")]
    [InlineData("GET", "/2015-03-31/functions/f/configuration", "GetFunctionConfiguration")]
    [InlineData("POST", "/2015-03-31/functions/f/invocations", "Invoke")]
    [InlineData("DELETE", "/2015-03-31/functions/f", "DeleteFunction")]
    [InlineData("GET", "/2019-09-30/functions/f/provisioned-concurrency?List=ALL", "ListProvisionedConcurrencyConfigs")]
    [InlineData("GET", "/2019-09-30/functions/f/provisioned-concurrency?Qualifier=1", "GetProvisionedConcurrencyConfig")]
    [InlineData("GET", "/2018-10-31/layers?find=LayerVersion&Arn=a", "GetLayerVersionByArn")]
    [InlineData("GET", "/2018-10-31/layers", "ListLayers")]
    public void Match_Lambda(string method, string url, string expected) => Assert.Equal(expected, Op(Lambda, method, url));

    [Fact]
    public void Match_Lambda_EncodedArnLabelIsDecoded()
    {
        var match = Match(Lambda, "POST", "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A1%3Afunction%3Af/invocations");
        Assert.Equal("arn:aws:lambda:us-east-1:1:function:f", match!.Labels["FunctionName"]);
    }

    [Fact]
    public void Match_SageMakerRuntime()
    {
        var runtime = new RestRouteTable(BotocoreModel.Load("sagemaker-runtime"));
        var match = Match(runtime, "POST", "/endpoints/my-endpoint/invocations");
        Assert.Equal("InvokeEndpoint", match!.Operation.Name);
        Assert.Equal("my-endpoint", match.Labels["EndpointName"]);
        Assert.Equal("InvokeEndpointAsync", Op(runtime, "POST", "/endpoints/e/async-invocations"));
    }

    [Fact]
    public void Match_NonGreedyLabel_IsOneNonEmptySegment()
    {
        Assert.Null(Op(Lambda, "GET", "/2015-03-31/functions/a/b/c/d"));
        Assert.Null(Op(Lambda, "POST", "/2015-03-31/functions//invocations"));
    }

    /// <summary>The superseded operations share their route with a newer one that has the same
    /// requirements; they are reachable only by x-id.</summary>
    private static readonly HashSet<string> OnlyByXId = [.. RestRouteTable.Superseded.Keys];

    public static TheoryData<string> RestServices() =>
        ["s3", "s3control", "lambda", "sagemaker-runtime", "sagemaker-featurestore-runtime", "databrew", "lex-runtime", "apigateway"];

    /// <summary>A concrete request for every operation of the service, built from its template (labels
    /// filled, literal query keys and the required query/header members present), must route back
    /// to that operation with those labels.</summary>
    [Theory]
    [MemberData(nameof(RestServices))]
    public void Match_EveryOperation_RoutesBackToItself(string serviceId)
    {
        var failures = RoundTripFailures(BotocoreModel.Load(serviceId));
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    internal static List<string> RoundTripFailures(ServiceInfo service, bool tolerateMissingInputs = false)
    {
        var table = new RestRouteTable(service);
        var failures = new List<string>();
        foreach (var op in service.Operations.Values)
        {
            var (path, query, headers, labels) = ConcreteRequest(op);
            if (OnlyByXId.Contains(op.Name))
            {
                query += (query.Length == 0 ? "?" : "&") + "x-id=" + op.Name;
            }

            var match = table.Match(Http.Request(op.HttpMethod, "/", query, headers), path);
            if (match is not null && match.Operation.Name != op.Name && tolerateMissingInputs
                && (op.Input is null || match.Operation.Input is null)
                && match.Operation.RequestUri == op.RequestUri && match.Operation.HttpMethod == op.HttpMethod)
            {
                // Without an input shape the route's required members are unknown: it shares the
                // template with the other operation and cannot be told apart from it.
                continue;
            }

            if (match?.Operation.Name != op.Name)
            {
                failures.Add($"{op.HttpMethod} {path}{query} [{op.RequestUri}] -> {match?.Operation.Name ?? "null"}, expected {op.Name}");
                continue;
            }

            foreach (var (name, value) in labels)
            {
                if (!match.Labels.TryGetValue(name, out var got) || got != value)
                {
                    failures.Add($"{op.Name}: label {name} = {got ?? "missing"}, expected {value}");
                }
            }
        }

        return failures;
    }

    [Fact]
    public void Match_S3_SupersededOperationsLoseTiesWithoutXId()
    {
        Assert.Equal("PutBucketNotificationConfiguration", Op(S3, "PUT", "/b?notification"));
        Assert.Equal("PutBucketNotification", Op(S3, "PUT", "/b?notification&x-id=PutBucketNotification"));
    }

    private static (string Path, string Query, (string, string)[] Headers, Dictionary<string, string> Labels) ConcreteRequest(
        OperationInfo op)
    {
        var q = op.RequestUri.IndexOf('?');
        var template = q < 0 ? op.RequestUri : op.RequestUri[..q];
        var labels = new Dictionary<string, string>();
        var path = LabelPattern().Replace(template, m =>
        {
            var name = m.Groups[1].Value;
            if (name.EndsWith('+'))
            {
                labels[name[..^1]] = "dir/sub dir/" + name[..^1].ToLowerInvariant() + ".txt";
                return "dir/sub%20dir/" + Uri.EscapeDataString(name[..^1].ToLowerInvariant()) + ".txt";
            }

            labels[name] = name.ToLowerInvariant() + "-1:x";
            return Uri.EscapeDataString(name.ToLowerInvariant() + "-1:x");
        });
        var query = q < 0 ? new List<string>() : op.RequestUri[(q + 1)..].Split('&').ToList();
        var headers = new List<(string, string)>();
        foreach (var m in op.Input?.Members ?? [])
        {
            if (!m.Required)
            {
                continue;
            }

            if (m.Location == MemberLocation.QueryString && !query.Any(p => p.Split('=')[0] == m.LocationName))
            {
                query.Add(m.LocationName + "=v");
            }
            else if (m.Location == MemberLocation.Header)
            {
                headers.Add((m.LocationName!, "v"));
            }
        }

        return (path, query.Count == 0 ? "" : "?" + string.Join('&', query), [.. headers], labels);
    }

    [GeneratedRegex(@"\{([^}]+)\}")]
    private static partial Regex LabelPattern();
}
