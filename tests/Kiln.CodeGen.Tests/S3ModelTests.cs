using Kiln.Core.Shapes;
using Kiln.Model.S3;

namespace Kiln.CodeGen.Tests;

public class S3ModelTests
{
    private static ServiceInfo S3 => S3Model.Service;

    [Fact]
    public void Service_Metadata_MatchesBotocore()
    {
        Assert.Equal("s3", S3.ServiceId);
        Assert.Equal("rest-xml", S3.Protocol);
        Assert.Equal("2006-03-01", S3.ApiVersion);
        Assert.Equal("s3", S3.SigningName);
        Assert.True(S3.GlobalEndpoint);
        // Not in metadata: taken from the namespace the model puts on request bodies.
        Assert.Equal("http://s3.amazonaws.com/doc/2006-03-01/", S3.XmlNamespace);
    }

    [Fact]
    public void PutObject_Binding_IsPutWithStreamingBody()
    {
        var op = S3.Operations["PutObject"];
        Assert.Equal("PUT", op.HttpMethod);
        Assert.Equal("/{Bucket}/{Key+}", op.RequestUri);
        Assert.Equal("PutObjectRequest", op.Input!.Name);
        Assert.Equal("Body", op.Input.Payload);
        var body = op.Input.FindMember("Body")!;
        Assert.Equal(ShapeType.Blob, body.Shape.Type);
        Assert.True(body.Shape.Streaming);
        Assert.True(op.StreamingInput);
        Assert.Equal(typeof(Stream), typeof(PutObjectRequest).GetProperty("Body")!.PropertyType);
    }

    [Fact]
    public void PutObject_Metadata_IsHeaderPrefixMap()
    {
        var metadata = S3.Operations["PutObject"].Input!.FindMember("Metadata")!;
        Assert.Equal(MemberLocation.Headers, metadata.Location);
        Assert.Equal("x-amz-meta-", metadata.LocationName);
        Assert.Equal(ShapeType.Map, metadata.Shape.Type);
    }

    [Fact]
    public void PutObject_UriMembers_AreLabels()
    {
        var input = S3.Operations["PutObject"].Input!;
        var key = input.FindMember("Key")!;
        Assert.Equal(MemberLocation.Uri, key.Location);
        Assert.Equal("Key", key.LocationName);
        Assert.True(key.Required);
        Assert.Equal(MemberLocation.Header, input.FindMember("ContentMD5")!.Location);
        Assert.Equal("Content-MD5", input.FindMember("ContentMD5")!.LocationName);
    }

    [Fact]
    public void GetObject_Range_IsHeader()
    {
        var op = S3.Operations["GetObject"];
        var range = op.Input!.FindMember("Range")!;
        Assert.Equal(MemberLocation.Header, range.Location);
        Assert.Equal("Range", range.LocationName);
        Assert.True(op.StreamingOutput);
        Assert.Equal(MemberLocation.QueryString, op.Input.FindMember("VersionId")!.Location);
        Assert.Equal("versionId", op.Input.FindMember("VersionId")!.LocationName);
    }

    [Fact]
    public void ListObjectsV2_RequestUri_CarriesListType()
    {
        var op = S3.Operations["ListObjectsV2"];
        Assert.Equal("GET", op.HttpMethod);
        Assert.Contains("list-type=2", op.RequestUri);
        // Contents is a flattened list: <Contents> elements repeat directly under the root.
        var contents = op.Output!.FindMember("Contents")!;
        Assert.Equal(ShapeType.List, contents.Shape.Type);
        Assert.True(contents.Shape.Flattened);
        Assert.Equal("Object", contents.Shape.Member!.Shape.Name);
    }

    [Fact]
    public void DeleteObject_ResponseCode_Is204()
    {
        Assert.Equal(204, S3.Operations["DeleteObject"].ResponseCode);
        Assert.Equal(200, S3.Operations["GetObject"].ResponseCode);
    }

    [Fact]
    public void PutBucketEncryption_Payload_HasRootNameAndNamespace()
    {
        var op = S3.Operations["PutBucketEncryption"];
        Assert.True(op.HttpChecksumRequired);
        var payload = op.Input!.FindMember(op.Input.Payload!)!;
        Assert.Equal("ServerSideEncryptionConfiguration", payload.LocationName);
        Assert.Equal("http://s3.amazonaws.com/doc/2006-03-01/", payload.XmlNamespaceUri);
    }

    [Fact]
    public void Grantee_Type_IsXsiAttribute()
    {
        var grantee = S3.Operations["GetObjectAcl"].Output!.FindMember("Grants")!.Shape.Member!.Shape.FindMember("Grantee")!.Shape;
        Assert.Equal("http://www.w3.org/2001/XMLSchema-instance", grantee.XmlNamespace);
        var type = grantee.FindMember("Type")!;
        Assert.True(type.XmlAttribute);
        Assert.Equal("xsi:type", type.LocationName);
    }

    [Fact]
    public void UnlistedOperation_IsRoutableWithoutShapes()
    {
        var op = S3.Operations["SelectObjectContent"];
        Assert.Equal("POST", op.HttpMethod);
        Assert.Equal("/{Bucket}/{Key+}?select&select-type=2", op.RequestUri);
        Assert.Null(op.Input);
        Assert.Null(op.Output);
    }

    [Fact]
    public void Expires_Timestamp_KeepsShapeFormat()
    {
        var expires = S3.Operations["PutObject"].Input!.FindMember("Expires")!;
        Assert.Equal(ShapeType.Timestamp, expires.Shape.Type);
        Assert.Equal(MemberLocation.Header, expires.Location);
        Assert.Equal(typeof(DateTimeOffset?), typeof(PutObjectRequest).GetProperty("Expires")!.PropertyType);
    }

    [Fact]
    public void Accessors_SetThenGet_RoundTrip()
    {
        var input = S3.Operations["PutObject"].Input!;
        var request = (PutObjectRequest)input.Create!();
        input.FindMember("Bucket")!.Set(request, "my-bucket");
        input.FindMember("ContentLength")!.Set(request, 42L);
        input.FindMember("BucketKeyEnabled")!.Set(request, true);
        Assert.Equal("my-bucket", request.Bucket);
        Assert.Equal(42L, request.ContentLength);
        Assert.Equal(42L, input.FindMember("ContentLength")!.Get(request));
        Assert.Equal(true, input.FindMember("BucketKeyEnabled")!.Get(request));
        input.FindMember("ContentLength")!.Set(request, null);
        Assert.Null(request.ContentLength);
    }
}
