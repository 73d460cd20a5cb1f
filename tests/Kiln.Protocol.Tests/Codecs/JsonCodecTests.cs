using System.Text;
using Kiln.Core.Errors;
using Kiln.Core.Shapes;
using Kiln.Protocol.Json;

namespace Kiln.Protocol.Tests.Codecs;

public sealed class JsonCodecTests
{
    private static readonly ServiceInfo Kinesis = BotocoreModel.Load("kinesis");
    private static readonly JsonCodec Codec = new();

    private static Bag Parse(string operation, string body) =>
        (Bag)Codec.ParseRequest(Kinesis.Operations[operation], Http.Request("POST"), new Dictionary<string, string>(),
            Encoding.UTF8.GetBytes(body), null)!;

    private static AwsException ParseFails(string operation, string body) =>
        Assert.ThrowsAny<AwsException>(() => Parse(operation, body));

    [Fact]
    public void ParseRequest_EmptyBody_ReturnsEmptyInput()
    {
        var input = Parse("ListStreams", "");
        Assert.Empty(input);
    }

    [Fact]
    public void ParseRequest_BlobAndStrings_ByteExact()
    {
        var input = Parse("PutRecord", """{"StreamName":"s","Data":"AAH/fn8=","PartitionKey":"p\u00fc"}""");
        Assert.Equal(new byte[] { 0x00, 0x01, 0xff, 0x7e, 0x7f }, (byte[])input["Data"]!);
        Assert.Equal("pü", input["PartitionKey"]);
    }

    [Fact]
    public void ParseRequest_UnknownKeysAndNulls_AreIgnored()
    {
        var input = Parse("ListStreams", """{"Unknown":{"a":[1,{"b":null}]},"Limit":null,"ExclusiveStartStreamName":"x"}""");
        Assert.Equal("x", input["ExclusiveStartStreamName"]);
        Assert.False(input.ContainsKey("Limit"));
    }

    [Theory]
    [InlineData("1763697763", "2025-11-21T04:02:43.000Z")]
    [InlineData("1763697763.123", "2025-11-21T04:02:43.123Z")]
    [InlineData("1.763697763E9", "2025-11-21T04:02:43.000Z")]
    [InlineData("\"2025-11-21T04:02:43.5Z\"", "2025-11-21T04:02:43.500Z")]
    [InlineData("\"2025-11-21T06:02:43+02:00\"", "2025-11-21T04:02:43.000Z")]
    public void ParseRequest_Timestamp_AcceptsEpochAndIso(string json, string expected)
    {
        var input = Parse("GetShardIterator",
            $$"""{"StreamName":"s","ShardId":"x","ShardIteratorType":"AT_TIMESTAMP","Timestamp":{{json}}}""");
        Assert.Equal(expected, ((DateTimeOffset)input["Timestamp"]!).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'",
            System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("{\"StreamName\":")]
    [InlineData("{\"StreamName\":\"s\"")]
    [InlineData("{\"StreamName\":\"s\",}")]
    [InlineData("{'StreamName':'s'}")]
    [InlineData("[1,2]")]
    [InlineData("\"text\"")]
    [InlineData("{} {}")]
    [InlineData("{\"a\":1} trailing")]
    [InlineData("\uFEFF\u0000")]
    public void ParseRequest_MalformedJson_ThrowsSerializationException(string body)
    {
        var e = ParseFails("ListStreams", body);
        Assert.Equal("SerializationException", e.Code);
        Assert.Equal(400, e.StatusCode);
    }

    [Theory]
    [InlineData("{\"Limit\":\"10\"}")]
    [InlineData("{\"Limit\":1.5}")]
    [InlineData("{\"Limit\":99999999999}")]
    [InlineData("{\"Limit\":true}")]
    [InlineData("{\"ExclusiveStartStreamName\":5}")]
    [InlineData("{\"ExclusiveStartStreamName\":{}}")]
    public void ParseRequest_WrongType_ThrowsSerializationException(string body)
    {
        var e = ParseFails("ListStreams", body);
        Assert.Equal("SerializationException", e.Code);
    }

    [Fact]
    public void ParseRequest_BadBase64_ThrowsSerializationExceptionWithoutEchoingTheValue()
    {
        var e = ParseFails("PutRecord", """{"StreamName":"s","Data":"not*base64-SECRET","PartitionKey":"p"}""");
        Assert.Equal("SerializationException", e.Code);
        Assert.DoesNotContain("SECRET", e.Message);
    }

    [Fact]
    public void ParseRequest_HugeNesting_ThrowsSerializationExceptionNotStackOverflow()
    {
        var deep = string.Concat(Enumerable.Repeat("{\"a\":", 100_000)) + "1" + new string('}', 100_000);
        var e = ParseFails("ListStreams", "{\"Unknown\":" + deep + "}");
        Assert.Equal("SerializationException", e.Code);
        var arrays = "{\"Unknown\":" + new string('[', 100_000) + new string(']', 100_000) + "}";
        Assert.Equal("SerializationException", ParseFails("ListStreams", arrays).Code);
    }

    [Fact]
    public void ParseRequest_NestedListsAndMaps_SageMaker()
    {
        var sageMaker = BotocoreModel.Load("sagemaker");
        var body = """
            {"TrainingJobName":"j","RoleArn":"r","HyperParameters":{"eta":"0.2","max_depth":"5"},
             "AlgorithmSpecification":{"TrainingInputMode":"File","TrainingImage":"i"},
             "InputDataConfig":[{"ChannelName":"train","DataSource":{"S3DataSource":{"S3DataType":"S3Prefix","S3Uri":"s3://b/t","AttributeNames":["a","b"]}}}],
             "OutputDataConfig":{"S3OutputPath":"s3://b/o"},
             "ResourceConfig":{"InstanceType":"ml.m5.large","InstanceCount":2,"VolumeSizeInGB":10},
             "StoppingCondition":{"MaxRuntimeInSeconds":60},"EnableNetworkIsolation":true}
            """;
        var input = (Bag)Codec.ParseRequest(sageMaker.Operations["CreateTrainingJob"], Http.Request("POST"),
            new Dictionary<string, string>(), Encoding.UTF8.GetBytes(body), null)!;
        Assert.Equal("5", ((Dictionary<string, object?>)input["HyperParameters"]!)["max_depth"]);
        var channel = (Bag)((List<object?>)input["InputDataConfig"]!)[0]!;
        var s3 = (Bag)((Bag)channel["DataSource"]!)["S3DataSource"]!;
        Assert.Equal(new object?[] { "a", "b" }, (List<object?>)s3["AttributeNames"]!);
        Assert.Equal(2, ((Bag)input["ResourceConfig"]!)["InstanceCount"]);
        Assert.Equal(true, input["EnableNetworkIsolation"]);
    }

    [Fact]
    public async Task WriteResponse_ExactJsonWithEpochSecondsAndContentTypeAsync()
    {
        var op = Kinesis.Operations["GetRecords"];
        var output = new Bag
        {
            ["Records"] = new List<object?>
            {
                new Bag
                {
                    ["SequenceNumber"] = "1",
                    ["ApproximateArrivalTimestamp"] = DateTimeOffset.FromUnixTimeMilliseconds(1763697763120),
                    ["Data"] = new byte[] { 0, 1, 255 },
                    ["PartitionKey"] = "p<&>ü",
                },
                new Bag { ["SequenceNumber"] = "2", ["ApproximateArrivalTimestamp"] = DateTimeOffset.FromUnixTimeSeconds(1763697763) },
            },
            ["NextShardIterator"] = "it",
            ["MillisBehindLatest"] = 0L,
        };
        var response = Http.Response();
        await Codec.WriteResponseAsync(op, output, response, "r1", CancellationToken.None);
        Assert.Equal(200, response.StatusCode);
        Assert.Equal("application/x-amz-json-1.1", response.ContentType);
        Assert.Equal(
            """{"Records":[{"SequenceNumber":"1","ApproximateArrivalTimestamp":1763697763.12,"Data":"AAH/","PartitionKey":"p<&>ü"},"""
            + """{"SequenceNumber":"2","ApproximateArrivalTimestamp":1763697763}],"NextShardIterator":"it","MillisBehindLatest":0}""",
            Http.Text(response));
        Assert.Equal(Http.Body(response).Length, response.ContentLength);
    }

    [Fact]
    public async Task WriteResponse_NoOutput_WritesEmptyObjectAsync()
    {
        var response = Http.Response();
        await Codec.WriteResponseAsync(Kinesis.Operations["DeleteStream"], null, response, "r1", CancellationToken.None);
        Assert.Equal("{}", Http.Text(response));
    }

    [Fact]
    public async Task WriteResponse_Json10Service_UsesItsContentTypeAsync()
    {
        var states = BotocoreModel.Load("stepfunctions");
        var response = Http.Response();
        await Codec.WriteResponseAsync(states.Operations["DeleteStateMachine"], new Bag(), response, "r", CancellationToken.None);
        Assert.Equal("application/x-amz-json-1.0", response.ContentType);
    }

    [Fact]
    public async Task WriteResponse_DoublesInvariantAndNonFiniteAsStringsAsync()
    {
        var sageMaker = BotocoreModel.Load("sagemaker");
        var response = Http.Response();
        var metrics = new List<object?>
        {
            new Bag { ["MetricName"] = "a", ["Value"] = 0.1f },
            new Bag { ["MetricName"] = "b", ["Value"] = float.NaN },
            new Bag { ["MetricName"] = "c", ["Value"] = float.NegativeInfinity },
        };
        await Codec.WriteResponseAsync(sageMaker.Operations["DescribeTrainingJob"], new Bag { ["FinalMetricDataList"] = metrics },
            response, "r", CancellationToken.None);
        Assert.Equal(
            """{"FinalMetricDataList":[{"MetricName":"a","Value":0.1},{"MetricName":"b","Value":"NaN"},{"MetricName":"c","Value":"-Infinity"}]}""",
            Http.Text(response));
    }

    [Fact]
    public async Task WriteError_ModeledError_TypeHeaderAndBodyAsync()
    {
        var response = Http.Response();
        var error = new AwsException("ResourceNotFoundException", "Stream s under account 1 not found.");
        await Codec.WriteErrorAsync(Kinesis, Kinesis.Operations["DescribeStream"], error, response, "r1", CancellationToken.None);
        Assert.Equal(400, response.StatusCode);
        Assert.Equal("ResourceNotFoundException", response.Headers["x-amzn-ErrorType"].ToString());
        Assert.Equal("application/x-amz-json-1.1", response.ContentType);
        Assert.Equal("""{"__type":"ResourceNotFoundException","message":"Stream s under account 1 not found."}""", Http.Text(response));
        Assert.False(response.Headers.ContainsKey("x-amzn-query-error"));
    }

    [Fact]
    public async Task WriteError_NotImplemented_IsUnknownOperationException400Async()
    {
        var response = Http.Response();
        await Codec.WriteErrorAsync(Kinesis, Kinesis.Operations["SplitShard"], AwsException.NotImplemented("kinesis", "SplitShard"),
            response, "r1", CancellationToken.None);
        Assert.Equal(400, response.StatusCode);
        Assert.Equal("UnknownOperationException", response.Headers["x-amzn-ErrorType"].ToString());
        Assert.StartsWith("""{"__type":"UnknownOperationException","message":""", Http.Text(response));
    }

    [Fact]
    public async Task WriteError_UnmodeledServerFault_Is500Async()
    {
        var response = Http.Response();
        await Codec.WriteErrorAsync(Kinesis, null, new AwsException("InternalFailure", "boom") { SenderFault = false }, response, "r",
            CancellationToken.None);
        Assert.Equal(500, response.StatusCode);
    }

    [Fact]
    public async Task WriteError_QueryCompatibleService_AddsQueryErrorHeaderAndModelStatusAsync()
    {
        // SQS's model says query; a client that reached it over JSON gets the query code too.
        var sqs = BotocoreModel.Load("sqs");
        var response = Http.Response();
        await Codec.WriteErrorAsync(sqs, sqs.Operations["GetQueueUrl"],
            new AwsException("AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist."), response, "r",
            CancellationToken.None);
        Assert.Equal(400, response.StatusCode);
        Assert.Equal("AWS.SimpleQueueService.NonExistentQueue;Sender", response.Headers["x-amzn-query-error"].ToString());
        Assert.Equal("application/x-amz-json-1.0", response.ContentType);
    }

    [Fact]
    public async Task WriteError_StatusOverride_WinsOverModelAsync()
    {
        var iam = BotocoreModel.Load("iam");
        var response = Http.Response();
        await Codec.WriteErrorAsync(iam, null, new AwsException("NoSuchEntity", "x", 418), response, "r", CancellationToken.None);
        Assert.Equal(418, response.StatusCode);
        var modeled = Http.Response();
        await Codec.WriteErrorAsync(iam, null, new AwsException("NoSuchEntity", "x"), modeled, "r", CancellationToken.None);
        Assert.Equal(404, modeled.StatusCode);
    }
}
