using System.Text;
using Kiln.Core.Errors;
using Kiln.Core.Shapes;
using Kiln.Protocol.Json;

namespace Kiln.Protocol.Tests.Codecs;

public sealed class RestJsonCodecTests
{
    private static readonly ServiceInfo Lambda = BotocoreModel.Load("lambda");
    private static readonly RestJsonCodec Codec = new();

    [Fact]
    public void ParseRequest_BlobPayload_RawBytesAndLocatedMembers()
    {
        var payload = new byte[] { 0, 1, 2, 255 };
        var input = (Bag)Codec.ParseRequest(Lambda.Operations["Invoke"],
            Http.Request("POST", "/x", "?Qualifier=%24LATEST", [("X-Amz-Invocation-Type", "Event")]),
            new Dictionary<string, string> { ["FunctionName"] = "f" }, payload, null)!;
        Assert.Equal(payload, (byte[])input["Payload"]!);
        Assert.Equal("$LATEST", input["Qualifier"]);
        Assert.Equal("Event", input["InvocationType"]);
        Assert.Equal("f", input["FunctionName"]);
    }

    [Fact]
    public void ParseRequest_ListQueryParameter_RepeatedKey()
    {
        var input = (Bag)Codec.ParseRequest(Lambda.Operations["UntagResource"], Http.Request("DELETE", "/x", "?tagKeys=a&tagKeys=b%20c"),
            new Dictionary<string, string> { ["ARN"] = "arn" }, ReadOnlyMemory<byte>.Empty, null)!;
        Assert.Equal(["a", "b c"], (List<object?>)input["TagKeys"]!);
    }

    [Fact]
    public void ParseRequest_BodyMembersOnly_LocatedNamesInBodyIgnored()
    {
        var input = (Bag)Codec.ParseRequest(Lambda.Operations["UpdateFunctionConfiguration"], Http.Request("PUT", "/x"),
            new Dictionary<string, string> { ["FunctionName"] = "from-uri" },
            Encoding.UTF8.GetBytes("""{"FunctionName":"from-body","Timeout":30}"""), null)!;
        Assert.Equal("from-uri", input["FunctionName"]);
        Assert.Equal(30, input["Timeout"]);
    }

    [Fact]
    public void ParseRequest_MistypedQuery_IsSerializationException()
    {
        var e = Assert.ThrowsAny<AwsException>(() => Codec.ParseRequest(Lambda.Operations["ListFunctions"],
            Http.Request("GET", "/x", "?MaxItems=lots"), new Dictionary<string, string>(), ReadOnlyMemory<byte>.Empty, null));
        Assert.Equal("SerializationException", e.Code);
    }

    [Fact]
    public void ParseRequest_MalformedJsonBody_IsSerializationException()
    {
        var e = Assert.ThrowsAny<AwsException>(() => Codec.ParseRequest(Lambda.Operations["CreateFunction"], Http.Request("POST", "/x"),
            new Dictionary<string, string>(), "{\"FunctionName\": [}"u8.ToArray(), null));
        Assert.Equal("SerializationException", e.Code);
    }

    [Fact]
    public void ParseRequest_JsonValueHeader_Base64JsonToText()
    {
        var lex = BotocoreModel.Load("lex-runtime");
        var json = """{"a":"ü"}""";
        var input = (Bag)Codec.ParseRequest(lex.Operations["PostContent"],
            Http.Request("POST", "/x", "", [("x-amz-lex-session-attributes", Convert.ToBase64String(Encoding.UTF8.GetBytes(json)))]),
            new Dictionary<string, string>(), ReadOnlyMemory<byte>.Empty, new MemoryStream())!;
        Assert.Equal(json, input["sessionAttributes"]);
        var bad = Assert.ThrowsAny<AwsException>(() => Codec.ParseRequest(lex.Operations["PostContent"],
            Http.Request("POST", "/x", "", [("x-amz-lex-session-attributes", "%%%")]), new Dictionary<string, string>(),
            ReadOnlyMemory<byte>.Empty, new MemoryStream()));
        Assert.Equal("SerializationException", bad.Code);
    }

    [Fact]
    public async Task WriteResponse_StatusCodeMemberHeadersAndRawPayloadAsync()
    {
        var response = Http.Response();
        var output = new Bag
        {
            ["StatusCode"] = 202,
            ["FunctionError"] = "Unhandled",
            ["ExecutedVersion"] = "$LATEST",
            ["Payload"] = new byte[] { 0x7b, 0x7d, 0x00 },
        };
        await Codec.WriteResponseAsync(Lambda.Operations["Invoke"], output, response, "r", CancellationToken.None);
        Assert.Equal(202, response.StatusCode);
        Assert.Equal("Unhandled", response.Headers["X-Amz-Function-Error"].ToString());
        Assert.Equal(new byte[] { 0x7b, 0x7d, 0x00 }, Http.Body(response));
        Assert.Equal(3, response.ContentLength);
    }

    [Fact]
    public async Task WriteResponse_ResponseCode204_NoBodyAsync()
    {
        var response = Http.Response("DELETE");
        await Codec.WriteResponseAsync(Lambda.Operations["DeleteFunction"], null, response, "r", CancellationToken.None);
        Assert.Equal(204, response.StatusCode);
        Assert.Empty(Http.Body(response));
    }

    [Fact]
    public async Task WriteResponse_BodyMembers_ApplicationJsonAsync()
    {
        var response = Http.Response("GET");
        var output = new Bag
        {
            ["NextMarker"] = "n",
            ["Functions"] = new List<object?> { new Bag { ["FunctionName"] = "f", ["MemorySize"] = 128, ["Timeout"] = null } },
        };
        await Codec.WriteResponseAsync(Lambda.Operations["ListFunctions"], output, response, "r", CancellationToken.None);
        Assert.Equal(200, response.StatusCode);
        Assert.Equal("application/json", response.ContentType);
        Assert.Equal("""{"NextMarker":"n","Functions":[{"FunctionName":"f","MemorySize":128}]}""", Http.Text(response));
    }

    [Fact]
    public async Task WriteResponse_ContentTypeHeaderMember_SetsContentTypeAsync()
    {
        var runtime = BotocoreModel.Load("sagemaker-runtime");
        var response = Http.Response();
        await Codec.WriteResponseAsync(runtime.Operations["InvokeEndpoint"],
            new Bag { ["Body"] = "[1]"u8.ToArray(), ["ContentType"] = "application/json", ["InvokedProductionVariant"] = "v1" }, response,
            "r", CancellationToken.None);
        Assert.Equal("application/json", response.ContentType);
        Assert.Equal("v1", response.Headers["x-Amzn-Invoked-Production-Variant"].ToString());
        Assert.Equal("[1]", Http.Text(response));
    }

    [Fact]
    public async Task WriteError_ModeledStatusAndErrorTypeHeaderAsync()
    {
        var response = Http.Response("GET");
        await Codec.WriteErrorAsync(Lambda, Lambda.Operations["GetFunction"],
            new AwsException("ResourceNotFoundException", "Function not found: f") { Fields = { ["Type"] = "User" } }, response, "r",
            CancellationToken.None);
        Assert.Equal(404, response.StatusCode);
        Assert.Equal("ResourceNotFoundException", response.Headers["x-amzn-ErrorType"].ToString());
        Assert.Equal("application/json", response.ContentType);
        Assert.Equal("""{"__type":"ResourceNotFoundException","message":"Function not found: f","Type":"User"}""", Http.Text(response));
    }

    [Fact]
    public async Task WriteError_NumericErrorField_WrittenAsNumberAsync()
    {
        var runtime = BotocoreModel.Load("sagemaker-runtime");
        var response = Http.Response();
        await Codec.WriteErrorAsync(runtime, null,
            new AwsException("ModelError", "m") { Fields = { ["OriginalStatusCode"] = "400", ["OriginalMessage"] = "x" } }, response, "r",
            CancellationToken.None);
        Assert.Equal(424, response.StatusCode);
        Assert.Equal("""{"__type":"ModelError","message":"m","OriginalStatusCode":400,"OriginalMessage":"x"}""", Http.Text(response));
    }
}
