using System.Text;
using Kiln.Core.Errors;
using Kiln.Core.Shapes;
using Kiln.Protocol.Query;

namespace Kiln.Protocol.Tests.Codecs;

public sealed class QueryCodecTests
{
    private static readonly ServiceInfo Sts = BotocoreModel.Load("sts");
    private static readonly ServiceInfo Iam = BotocoreModel.Load("iam");
    private static readonly QueryCodec Codec = new();

    private static Bag Parse(ServiceInfo service, string operation, string body, string query = "") =>
        (Bag)Codec.ParseRequest(service.Operations[operation], Http.Request("POST", "/", query), new Dictionary<string, string>(),
            Encoding.UTF8.GetBytes(body), null)!;

    [Fact]
    public void ParseRequest_ActionAndVersion_BindToNothing()
    {
        var input = Parse(Iam, "ListUsers", "Action=ListUsers&Version=2010-05-08");
        Assert.Empty(input);
    }

    [Fact]
    public void ParseRequest_QueryStringAndForm_AreMerged()
    {
        var input = Parse(Iam, "ListUsers", "MaxItems=5", "?Action=ListUsers&Version=2010-05-08&PathPrefix=%2Fa+b%2F");
        Assert.Equal("/a b/", input["PathPrefix"]);
        Assert.Equal(5, input["MaxItems"]);
    }

    [Fact]
    public void ParseRequest_PlusIsSpace_PercentTwoBIsPlus()
    {
        var input = Parse(Sts, "AssumeRole", "RoleArn=a&RoleSessionName=x+y%2Bz%26w%3D");
        Assert.Equal("x y+z&w=", input["RoleSessionName"]);
    }

    [Fact]
    public void ParseRequest_ListsMapsAndNestedStructures()
    {
        var input = Parse(Sts, "AssumeRole",
            "RoleArn=a&RoleSessionName=s&PolicyArns.member.1.arn=p1&PolicyArns.member.2.arn=p2"
            + "&Tags.member.1.Key=k&Tags.member.1.Value=&TransitiveTagKeys.member.1=k");
        var arns = (List<object?>)input["PolicyArns"]!;
        Assert.Equal(["p1", "p2"], arns.Select(a => ((Bag)a!)["arn"]));
        var tag = (Bag)((List<object?>)input["Tags"]!)[0]!;
        Assert.Equal("", tag["Value"]);
        Assert.Equal(["k"], (List<object?>)input["TransitiveTagKeys"]!);
    }

    [Fact]
    public void ParseRequest_EmptyListMarker_IsEmptyListAbsentIsNull()
    {
        var input = Parse(Sts, "AssumeRole", "RoleArn=a&RoleSessionName=s&TransitiveTagKeys=");
        Assert.Empty((List<object?>)input["TransitiveTagKeys"]!);
        Assert.False(input.ContainsKey("Tags"));
    }

    [Fact]
    public void ParseRequest_FlattenedMapWithLocationNames_Sqs()
    {
        var sqs = BotocoreModel.Load("sqs");
        var input = (Bag)Codec.ParseRequest(sqs.Operations["CreateQueue"], Http.Request("POST"), new Dictionary<string, string>(),
            "QueueName=q&Attribute.1.Name=DelaySeconds&Attribute.1.Value=5&Tag.1.Key=env&Tag.1.Value=dev"u8.ToArray(), null)!;
        Assert.Equal("5", ((Dictionary<string, object?>)input["Attributes"]!)["DelaySeconds"]);
        Assert.Equal("dev", ((Dictionary<string, object?>)input["tags"]!)["env"]);
    }

    [Fact]
    public void ParseRequest_Booleans_CaseInsensitiveTrueFalse()
    {
        var input = Parse(Iam, "UpdateAccountPasswordPolicy", "RequireSymbols=true&RequireNumbers=False&MinimumPasswordLength=8");
        Assert.Equal(true, input["RequireSymbols"]);
        Assert.Equal(false, input["RequireNumbers"]);
        Assert.Equal(8, input["MinimumPasswordLength"]);
    }

    [Theory]
    [InlineData("MaxItems=abc")]
    [InlineData("MaxItems=1.5")]
    [InlineData("MaxItems=99999999999")]
    public void ParseRequest_NonNumericInteger_IsInvalidParameterValue(string body)
    {
        var e = Assert.ThrowsAny<AwsException>(() => Parse(Iam, "ListUsers", body));
        Assert.Equal("InvalidParameterValue", e.Code);
        Assert.Equal(400, e.StatusCode);
        Assert.Contains("MaxItems", e.Message);
    }

    [Fact]
    public void ParseRequest_BadBoolean_IsInvalidParameterValue()
    {
        var e = Assert.ThrowsAny<AwsException>(() => Parse(Iam, "UpdateAccountPasswordPolicy", "RequireSymbols=yes"));
        Assert.Equal("InvalidParameterValue", e.Code);
    }

    [Theory]
    [InlineData("PathPrefix=%zz")]
    [InlineData("PathPrefix=%4")]
    [InlineData("PathPrefix=abc%")]
    [InlineData("PathPrefix=%C3%28")]
    [InlineData("Path%GGPrefix=x")]
    public void ParseRequest_BadPercentEncoding_IsMalformedQueryString(string body)
    {
        var e = Assert.ThrowsAny<AwsException>(() => Parse(Iam, "ListUsers", body));
        Assert.Equal("MalformedQueryString", e.Code);
        Assert.Equal(400, e.StatusCode);
    }

    [Fact]
    public void ParseRequest_BadPercentEncodingInUrlQuery_IsMalformedQueryString()
    {
        var e = Assert.ThrowsAny<AwsException>(() => Parse(Iam, "ListUsers", "", "?PathPrefix=%"));
        Assert.Equal("MalformedQueryString", e.Code);
    }

    [Fact]
    public void ParseRequest_HugeNesting_IsRefusedCheaply()
    {
        var deep = "PolicyArns" + string.Concat(Enumerable.Repeat(".member.1", 200_000)) + "=x";
        var e = Assert.ThrowsAny<AwsException>(() => Parse(Sts, "AssumeRole", deep));
        Assert.Equal("MalformedQueryString", e.Code);
        var wide = string.Join('&', Enumerable.Range(0, 20_000).Select(i => $"Unknown{i}.a.b=1"));
        Assert.Empty(Parse(Iam, "ListUsers", wide));
    }

    [Fact]
    public void ParseRequest_Timestamp_Iso8601()
    {
        var cw = BotocoreModel.Load("cloudwatch");
        var input = (Bag)Codec.ParseRequest(cw.Operations["GetMetricStatistics"], Http.Request("POST"), new Dictionary<string, string>(),
            "Namespace=n&MetricName=m&Period=60&StartTime=2026-11-21T04%3A02%3A43Z&EndTime=2026-11-21T04%3A02%3A43.250000Z"u8.ToArray(), null)!;
        Assert.Equal(new DateTimeOffset(2026, 11, 21, 4, 2, 43, TimeSpan.Zero), input["StartTime"]);
        Assert.Equal(new DateTimeOffset(2026, 11, 21, 4, 2, 43, 250, TimeSpan.Zero), input["EndTime"]);
    }

    [Fact]
    public async Task WriteResponse_GetCallerIdentity_ExactDocumentAsync()
    {
        var response = Http.Response();
        var output = new Bag { ["UserId"] = "AIDA1", ["Account"] = "123456789012", ["Arn"] = "arn:aws:iam::123456789012:user/a&b" };
        await Codec.WriteResponseAsync(Sts.Operations["GetCallerIdentity"], output, response, "rid-1", CancellationToken.None);
        Assert.Equal(200, response.StatusCode);
        Assert.Equal("text/xml", response.ContentType);
        Assert.Equal(
            "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult>"
            + "<UserId>AIDA1</UserId><Account>123456789012</Account><Arn>arn:aws:iam::123456789012:user/a&amp;b</Arn>"
            + "</GetCallerIdentityResult><ResponseMetadata><RequestId>rid-1</RequestId></ResponseMetadata></GetCallerIdentityResponse>",
            Http.Text(response));
    }

    [Fact]
    public async Task WriteResponse_ListsAndTimestampsWithMillisecondsAsync()
    {
        var response = Http.Response();
        var user = new Bag
        {
            ["Path"] = "/",
            ["UserName"] = "u",
            ["UserId"] = "I",
            ["Arn"] = "a",
            ["CreateDate"] = new DateTimeOffset(2026, 11, 21, 4, 2, 43, 123, TimeSpan.Zero),
        };
        await Codec.WriteResponseAsync(Iam.Operations["ListUsers"], new Bag { ["Users"] = new List<object?> { user }, ["IsTruncated"] = false },
            response, "r", CancellationToken.None);
        Assert.Contains(
            "<ListUsersResult><Users><member><Path>/</Path><UserName>u</UserName><UserId>I</UserId><Arn>a</Arn>"
            + "<CreateDate>2026-11-21T04:02:43.123Z</CreateDate></member></Users><IsTruncated>false</IsTruncated></ListUsersResult>",
            Http.Text(response));
    }

    [Fact]
    public async Task WriteResponse_NoOutputShape_NoResultElementAsync()
    {
        var response = Http.Response();
        await Codec.WriteResponseAsync(Iam.Operations["DeleteUser"], null, response, "r9", CancellationToken.None);
        Assert.Equal(
            "<DeleteUserResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><ResponseMetadata><RequestId>r9</RequestId>"
            + "</ResponseMetadata></DeleteUserResponse>",
            Http.Text(response));
    }

    [Fact]
    public async Task WriteError_ModeledError_ExactDocumentAndStatusAsync()
    {
        var response = Http.Response();
        await Codec.WriteErrorAsync(Iam, Iam.Operations["GetUser"], new AwsException("NoSuchEntity", "The user with name <x> cannot be found."),
            response, "rid", CancellationToken.None);
        Assert.Equal(404, response.StatusCode);
        Assert.Equal("text/xml", response.ContentType);
        Assert.Equal(
            "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type><Code>NoSuchEntity</Code>"
            + "<Message>The user with name &lt;x&gt; cannot be found.</Message></Error><RequestId>rid</RequestId></ErrorResponse>",
            Http.Text(response));
    }

    [Fact]
    public async Task WriteError_NotImplemented_IsInvalidActionAsync()
    {
        var response = Http.Response();
        await Codec.WriteErrorAsync(Sts, Sts.Operations["GetSessionToken"], AwsException.NotImplemented("sts", "GetSessionToken"),
            response, "rid", CancellationToken.None);
        Assert.Equal(400, response.StatusCode);
        Assert.Contains("<Code>InvalidAction</Code><Message>Could not find operation GetSessionToken for version 2011-06-15</Message>",
            Http.Text(response));
    }

    [Fact]
    public async Task WriteError_ServerFault_IsReceiverAsync()
    {
        var response = Http.Response();
        await Codec.WriteErrorAsync(Sts, null, new AwsException("InternalFailure", "boom") { SenderFault = false }, response, "rid",
            CancellationToken.None);
        Assert.Equal(500, response.StatusCode);
        Assert.Contains("<Type>Receiver</Type>", Http.Text(response));
    }
}
