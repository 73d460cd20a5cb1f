using System.Text;
using Kiln.Core.Errors;
using Kiln.Core.Shapes;
using Kiln.Protocol.Errors;
using Kiln.Protocol.RestXml;

namespace Kiln.Protocol.Tests.Codecs;

public sealed class RestXmlCodecTests
{
    private const string Ns = "http://s3.amazonaws.com/doc/2006-03-01/";
    private static readonly ServiceInfo S3 = BotocoreModel.Load("s3");
    private static readonly RestXmlCodec Codec = new();

    private static readonly Dictionary<string, string> BucketKey = new() { ["Bucket"] = "b", ["Key"] = "k" };

    private static Bag Parse(string operation, string body, string query = "", (string, string)[]? headers = null,
        Dictionary<string, string>? labels = null) =>
        (Bag)Codec.ParseRequest(S3.Operations[operation], Http.Request("POST", "/b", query, headers), labels ?? BucketKey,
            Encoding.UTF8.GetBytes(body), null)!;

    private static AwsException ParseFails(string operation, string body, string query = "", (string, string)[]? headers = null) =>
        Assert.ThrowsAny<AwsException>(() => Parse(operation, body, query, headers));

    [Fact]
    public void ParseRequest_PayloadWithAndWithoutNamespace()
    {
        foreach (var xmlns in new[] { $" xmlns=\"{Ns}\"", "" })
        {
            var input = Parse("DeleteObjects",
                $"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Delete{xmlns}><Object><Key>a &amp; b</Key></Object>"
                + "<Object><Key><![CDATA[<c>]]></Key><VersionId>v</VersionId></Object><Quiet>true</Quiet></Delete>");
            var delete = (Bag)input["Delete"]!;
            var objects = (List<object?>)delete["Objects"]!;
            Assert.Equal(["a & b", "<c>"], objects.Select(o => ((Bag)o!)["Key"]));
            Assert.Equal(true, delete["Quiet"]);
        }
    }

    [Fact]
    public void ParseRequest_WhitespaceInValues_IsKept()
    {
        var input = Parse("PutObjectTagging", "<Tagging><TagSet><Tag><Key> k </Key><Value>\n</Value></Tag></TagSet></Tagging>");
        var tag = (Bag)((List<object?>)((Bag)input["Tagging"]!)["TagSet"]!)[0]!;
        Assert.Equal(" k ", tag["Key"]);
        Assert.Equal("\n", tag["Value"]);
    }

    [Fact]
    public void ParseRequest_EmptyBody_LeavesPayloadUnset()
    {
        var input = Parse("CreateBucket", "", labels: new() { ["Bucket"] = "b" });
        Assert.Equal("b", input["Bucket"]);
        Assert.False(input.ContainsKey("CreateBucketConfiguration"));
    }

    [Fact]
    public void ParseRequest_CompleteMultipartUpload_RootIsLocationName()
    {
        var input = Parse("CompleteMultipartUpload",
            "<CompleteMultipartUpload><Part><ETag>\"e1\"</ETag><PartNumber>1</PartNumber></Part>"
            + "<Part><ETag>\"e2\"</ETag><PartNumber>2</PartNumber></Part></CompleteMultipartUpload>", "?uploadId=u%2B1");
        Assert.Equal("u+1", input["UploadId"]);
        var parts = (List<object?>)((Bag)input["MultipartUpload"]!)["Parts"]!;
        Assert.Equal([1, 2], parts.Select(p => ((Bag)p!)["PartNumber"]));
    }

    [Fact]
    public void ParseRequest_AttributeWithAnyPrefix_GranteeType()
    {
        var input = Parse("PutBucketAcl",
            "<AccessControlPolicy><AccessControlList><Grant><Grantee xmlns:x=\"http://www.w3.org/2001/XMLSchema-instance\" "
            + "x:type=\"Group\"><URI>http://acs/all</URI></Grantee><Permission>READ</Permission></Grant></AccessControlList>"
            + "</AccessControlPolicy>");
        var grant = (Bag)((List<object?>)((Bag)input["AccessControlPolicy"]!)["Grants"]!)[0]!;
        Assert.Equal("Group", ((Bag)grant["Grantee"]!)["Type"]);
    }

    [Theory]
    [InlineData("<Delete><Object><Key>a</Key></Object>")]
    [InlineData("<Delete><Object><Key>a</Object></Key></Delete>")]
    [InlineData("not xml at all")]
    [InlineData("<Delete></Delete><Delete></Delete>")]
    [InlineData("<Delete><Object><Key>a</Key></Object></Delete>trailing")]
    [InlineData("<Wrong><Object><Key>a</Key></Object></Wrong>")]
    [InlineData("<Delete><Quiet>maybe</Quiet></Delete>")]
    [InlineData("<Delete><Object><Key>a<b/></Key></Object></Delete>")]
    public void ParseRequest_MalformedXml_IsMalformedXML(string body)
    {
        var e = ParseFails("DeleteObjects", body);
        Assert.Equal("MalformedXML", e.Code);
        Assert.Equal(400, e.StatusCode);
        Assert.Equal("The XML you provided was not well-formed or did not validate against our published schema", e.Message);
    }

    [Fact]
    public void ParseRequest_EntityExpansionAttack_IsMalformedXMLNotACrash()
    {
        var laughs = """
            <?xml version="1.0"?>
            <!DOCTYPE lolz [
             <!ENTITY lol "lol">
             <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
             <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
             <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
            ]>
            <Delete><Object><Key>&lol4;</Key></Object></Delete>
            """;
        Assert.Equal("MalformedXML", ParseFails("DeleteObjects", laughs).Code);
    }

    [Fact]
    public void ParseRequest_ExternalEntity_IsMalformedXML()
    {
        var xxe = """
            <?xml version="1.0"?>
            <!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
            <Delete><Object><Key>&xxe;</Key></Object></Delete>
            """;
        var e = ParseFails("DeleteObjects", xxe);
        Assert.Equal("MalformedXML", e.Code);
        Assert.DoesNotContain("root:", e.Message);
    }

    [Fact]
    public void ParseRequest_HugeNesting_IsMalformedXML()
    {
        var deep = "<Delete><Object>" + string.Concat(Enumerable.Repeat("<x>", 100_000)) + string.Concat(Enumerable.Repeat("</x>", 100_000))
            + "</Object></Delete>";
        // Unknown elements are skipped without recursion; nesting inside known structures is capped.
        Assert.NotNull(Parse("DeleteObjects", deep));
        var lifecycle = "<LifecycleConfiguration>" + string.Concat(Enumerable.Repeat("<Rule><Filter><And>", 40))
            + string.Concat(Enumerable.Repeat("</And></Filter></Rule>", 40)) + "</LifecycleConfiguration>";
        Assert.NotNull(Parse("PutBucketLifecycleConfiguration", lifecycle));
        Assert.Equal("MalformedXML", ParseRecursive(100).Code);
        Assert.Null(Record.Exception(() => ParseRecursive(40)));
    }

    // No S3 shape nests itself, so the depth cap is checked on a hand-built recursive payload.
    private static AwsException ParseRecursive(int depth)
    {
        var service = new ServiceInfo("test") { Protocol = "rest-xml" };
        var node = new ShapeInfo("Node", ShapeType.Structure) { Create = () => new Bag() };
        node.Members = [new MemberInfo("Node", node, o => ((Bag)o).GetValueOrDefault("Node"), (o, v) => ((Bag)o)["Node"] = v)];
        var input = new ShapeInfo("Input", ShapeType.Structure) { Create = () => new Bag(), Payload = "Node" };
        input.Members = [new MemberInfo("Node", node, o => ((Bag)o).GetValueOrDefault("Node"), (o, v) => ((Bag)o)["Node"] = v)];
        var op = new OperationInfo("Put", service) { Input = input };
        var xml = string.Concat(Enumerable.Repeat("<Node>", depth)) + string.Concat(Enumerable.Repeat("</Node>", depth));
        try
        {
            Codec.ParseRequest(op, Http.Request("PUT"), new Dictionary<string, string>(), Encoding.UTF8.GetBytes(xml), null);
            return null!;
        }
        catch (AwsException e)
        {
            return e;
        }
    }

    [Fact]
    public void ParseRequest_HeadersAndMetadataMap_CaseInsensitivePrefixValuesAsSent()
    {
        var input = (Bag)Codec.ParseRequest(S3.Operations["PutObject"],
            Http.Request("PUT", "/b/k", "", [("X-Amz-Meta-Color", "Blue  Sky"), ("x-amz-meta-n", "1"), ("Content-Length", "5"),
                ("x-amz-server-side-encryption-bucket-key-enabled", "true"), ("Expires", "Sat, 21 Nov 2026 04:02:43 GMT")]),
            BucketKey, ReadOnlyMemory<byte>.Empty, new MemoryStream([1, 2, 3, 4, 5]))!;
        var metadata = (Dictionary<string, object?>)input["Metadata"]!;
        Assert.Equal("Blue  Sky", metadata["Color"]);
        Assert.Equal("1", metadata["n"]);
        Assert.Equal(5L, input["ContentLength"]);
        Assert.Equal(true, input["BucketKeyEnabled"]);
        Assert.Equal(new DateTimeOffset(2026, 11, 21, 4, 2, 43, TimeSpan.Zero), input["Expires"]);
    }

    [Fact]
    public void ParseRequest_StreamingPayload_IsTheGatewaysStreamAsIs()
    {
        using var body = new MemoryStream([1, 2, 3]);
        var input = (Bag)Codec.ParseRequest(S3.Operations["PutObject"], Http.Request("PUT", "/b/k"), BucketKey,
            ReadOnlyMemory<byte>.Empty, body)!;
        Assert.Same(body, input["Body"]);
        Assert.Equal(0, body.Position);
    }

    [Fact]
    public void ParseRequest_MistypedHeaderOrQuery_IsInvalidArgument()
    {
        var header = ParseFails("PutObject", "", headers: [("Content-Length", "abc")]);
        Assert.Equal("InvalidArgument", header.Code);
        var query = Assert.ThrowsAny<AwsException>(() => Codec.ParseRequest(S3.Operations["ListObjectsV2"],
            Http.Request("GET", "/b", "?list-type=2&max-keys=ten"), new Dictionary<string, string> { ["Bucket"] = "b" },
            ReadOnlyMemory<byte>.Empty, null));
        Assert.Equal("InvalidArgument", query.Code);
        Assert.Equal("max-keys", query.Fields["ArgumentName"]);
    }

    [Fact]
    public async Task WriteResponse_ListObjectsV2_ExactDocumentAsync()
    {
        var response = Http.Response("GET");
        var output = new Bag
        {
            ["IsTruncated"] = false,
            ["Name"] = "b",
            ["Prefix"] = "",
            ["MaxKeys"] = 1000,
            ["KeyCount"] = 2,
            ["Contents"] = new List<object?>
            {
                new Bag
                {
                    ["Key"] = "a<&>\"'.txt",
                    ["LastModified"] = new DateTimeOffset(2026, 11, 21, 4, 2, 43, 123, TimeSpan.Zero),
                    ["ETag"] = "\"e\"",
                    ["Size"] = 12L,
                    ["StorageClass"] = "STANDARD",
                },
                new Bag { ["Key"] = "ctl\u0001\r", ["Size"] = 0L },
            },
            ["CommonPrefixes"] = new List<object?> { new Bag { ["Prefix"] = "p/" } },
        };
        await Codec.WriteResponseAsync(S3.Operations["ListObjectsV2"], output, response, "r", CancellationToken.None);
        Assert.Equal(200, response.StatusCode);
        Assert.Equal("application/xml", response.ContentType);
        Assert.Equal(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            + $"<ListBucketResult xmlns=\"{Ns}\"><IsTruncated>false</IsTruncated>"
            + "<Contents><Key>a&lt;&amp;&gt;&quot;'.txt</Key><LastModified>2026-11-21T04:02:43.123Z</LastModified>"
            + "<ETag>&quot;e&quot;</ETag><Size>12</Size><StorageClass>STANDARD</StorageClass></Contents>"
            + "<Contents><Key>ctl&#x1;&#xD;</Key><Size>0</Size></Contents>"
            + "<Name>b</Name><Prefix/><MaxKeys>1000</MaxKeys><CommonPrefixes><Prefix>p/</Prefix></CommonPrefixes>"
            + "<KeyCount>2</KeyCount></ListBucketResult>",
            Http.Text(response));
    }

    [Fact]
    public async Task WriteResponse_GranteeTypeAttributeWithXsiNamespaceAsync()
    {
        var response = Http.Response("GET");
        var grant = new Bag { ["Grantee"] = new Bag { ["Type"] = "CanonicalUser", ["ID"] = "o1" }, ["Permission"] = "FULL_CONTROL" };
        await Codec.WriteResponseAsync(S3.Operations["GetBucketAcl"],
            new Bag { ["Owner"] = new Bag { ["ID"] = "o1" }, ["Grants"] = new List<object?> { grant } }, response, "r", CancellationToken.None);
        Assert.Equal(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            + $"<AccessControlPolicy xmlns=\"{Ns}\"><Owner><ID>o1</ID></Owner><AccessControlList><Grant>"
            + "<Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"CanonicalUser\"><ID>o1</ID></Grantee>"
            + "<Permission>FULL_CONTROL</Permission></Grant></AccessControlList></AccessControlPolicy>",
            Http.Text(response));
    }

    [Theory]
    [InlineData("eu-west-1", "<LocationConstraint xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">eu-west-1</LocationConstraint>")]
    [InlineData(null, "<LocationConstraint xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"/>")]
    public async Task WriteResponse_GetBucketLocation_BareRootAsync(string? region, string expected)
    {
        var response = Http.Response("GET");
        await Codec.WriteResponseAsync(S3.Operations["GetBucketLocation"], new Bag { ["LocationConstraint"] = region }, response, "r",
            CancellationToken.None);
        Assert.Equal("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + expected, Http.Text(response));
    }

    [Fact]
    public async Task WriteResponse_StreamingBody_CopiedByteExactAndDisposedAsync()
    {
        var bytes = Enumerable.Range(0, 300_000).Select(i => (byte)(i * 7)).ToArray();
        var body = new TrackingStream(bytes);
        var response = Http.Response("GET");
        var output = new Bag
        {
            ["Body"] = body,
            ["ContentLength"] = (long)bytes.Length,
            ["LastModified"] = new DateTimeOffset(2026, 11, 21, 4, 2, 43, 999, TimeSpan.Zero),
            ["Metadata"] = new Dictionary<string, object?> { ["color"] = "blue" },
            ["DeleteMarker"] = false,
            ["ETag"] = "\"e\"",
            ["ContentType"] = "image/png",
        };
        await Codec.WriteResponseAsync(S3.Operations["GetObject"], output, response, "r", CancellationToken.None);
        await response.BodyWriter.FlushAsync();
        Assert.Equal(bytes, Http.Body(response));
        Assert.True(body.Disposed);
        Assert.Equal("Sat, 21 Nov 2026 04:02:43 GMT", response.Headers["Last-Modified"].ToString());
        Assert.Equal("blue", response.Headers["x-amz-meta-color"].ToString());
        Assert.Equal("false", response.Headers["x-amz-delete-marker"].ToString());
        Assert.Equal(bytes.Length, response.ContentLength);
        Assert.Equal("image/png", response.ContentType);
    }

    [Fact]
    public async Task WriteResponse_Head_HeadersOnlyStreamDisposedUnreadAsync()
    {
        var body = new TrackingStream([1, 2, 3]);
        var response = Http.Response("HEAD");
        await Codec.WriteResponseAsync(S3.Operations["GetObject"], new Bag { ["Body"] = body, ["ContentLength"] = 3L }, response, "r",
            CancellationToken.None);
        Assert.Empty(Http.Body(response));
        Assert.True(body.Disposed);
        Assert.False(body.WasRead);
        Assert.Equal(3, response.ContentLength);
    }

    [Fact]
    public async Task WriteResponse_PayloadStructure_RootIsMemberNameAsync()
    {
        var response = Http.Response("PUT");
        var output = new Bag
        {
            ["CopyObjectResult"] = new Bag { ["ETag"] = "\"e\"", ["LastModified"] = DateTimeOffset.FromUnixTimeSeconds(0) },
            ["VersionId"] = "v",
        };
        await Codec.WriteResponseAsync(S3.Operations["CopyObject"], output, response, "r", CancellationToken.None);
        Assert.Equal("v", response.Headers["x-amz-version-id"].ToString());
        Assert.Equal(
            $"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CopyObjectResult xmlns=\"{Ns}\"><ETag>&quot;e&quot;</ETag>"
            + "<LastModified>1970-01-01T00:00:00.000Z</LastModified></CopyObjectResult>",
            Http.Text(response));
    }

    [Fact]
    public async Task WriteResponse_HeadersOnlyOutput_EmptyBodyAsync()
    {
        var response = Http.Response("PUT");
        await Codec.WriteResponseAsync(S3.Operations["PutObject"], new Bag { ["ETag"] = "\"e\"" }, response, "r", CancellationToken.None);
        Assert.Equal(200, response.StatusCode);
        Assert.Empty(Http.Body(response));
        Assert.Equal("\"e\"", response.Headers["ETag"].ToString());
    }

    [Fact]
    public async Task WriteError_S3Document_ExactWithFieldsRequestIdHostIdAsync()
    {
        var response = Http.Response("GET");
        RequestIdHeaders.Write(response, "rest-xml", "RID1", "HOST/1");
        var error = new AwsException("NoSuchKey", "The specified key does not exist.", 404) { Fields = { ["Key"] = "a&b" } };
        error.Headers["x-amz-delete-marker"] = "true";
        await Codec.WriteErrorAsync(S3, S3.Operations["GetObject"], error, response, "RID1", CancellationToken.None);
        Assert.Equal(404, response.StatusCode);
        Assert.Equal("application/xml", response.ContentType);
        Assert.Equal("true", response.Headers["x-amz-delete-marker"].ToString());
        Assert.Equal(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>"
            + "<Key>a&amp;b</Key><RequestId>RID1</RequestId><HostId>HOST/1</HostId></Error>",
            Http.Text(response));
    }

    [Fact]
    public async Task WriteError_Head_NoBodyAsync()
    {
        var response = Http.Response("HEAD");
        await Codec.WriteErrorAsync(S3, S3.Operations["HeadObject"], new AwsException("NoSuchKey", "x", 404), response, "r",
            CancellationToken.None);
        Assert.Equal(404, response.StatusCode);
        Assert.Empty(Http.Body(response));
    }

    [Fact]
    public async Task WriteError_NotImplemented_Is501Async()
    {
        var response = Http.Response("GET");
        await Codec.WriteErrorAsync(S3, S3.Operations["GetBucketWebsite"], AwsException.NotImplemented("s3", "GetBucketWebsite"), response,
            "r", CancellationToken.None);
        Assert.Equal(501, response.StatusCode);
        Assert.Contains("<Code>NotImplemented</Code><Message>s3 GetBucketWebsite is not implemented in Kiln yet</Message>",
            Http.Text(response));
    }

    [Fact]
    public async Task WriteS3Error_UnresolvedService_GatewayHelperAsync()
    {
        var response = Http.Response("GET");
        await ErrorDocuments.WriteS3ErrorAsync(response, 400, new AwsException("UnknownService", "No service matches this request."),
            "rid", CancellationToken.None);
        Assert.Equal(400, response.StatusCode);
        Assert.Equal(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>UnknownService</Code><Message>No service matches this request."
            + "</Message><RequestId>rid</RequestId><HostId/></Error>",
            Http.Text(response));
    }

    /// <summary>A stream that records whether it was read and disposed.</summary>
    private sealed class TrackingStream(byte[] bytes) : MemoryStream(bytes)
    {
        public bool Disposed { get; private set; }
        public bool WasRead { get; private set; }

        public override int Read(Span<byte> buffer)
        {
            WasRead = true;
            return base.Read(buffer);
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            WasRead = true;
            return base.Read(buffer, offset, count);
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            WasRead = true;
            return base.ReadAsync(buffer, cancellationToken);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            WasRead = true;
            return base.ReadAsync(buffer, offset, count, cancellationToken);
        }

        protected override void Dispose(bool disposing)
        {
            Disposed = true;
            base.Dispose(disposing);
        }

        public override ValueTask DisposeAsync()
        {
            Disposed = true;
            return base.DisposeAsync();
        }
    }
}
