using System.Security.Cryptography;
using System.Text;
using Kiln.Core;
using Kiln.Core.Errors;
using Kiln.Services.Kms;
using Kiln.Services.Kms.Domain;
using Kiln.Services.Kms.Storage;
using Kiln.Services.S3.Domain;
using Kiln.Services.S3.Storage;
using Kiln.Storage.Crypto;

namespace Kiln.Services.S3.Tests;

/// <summary>KMS in process over the real key service, without the caller checks (the integration
/// tests cover kms:GenerateDataKey / kms:Decrypt authorization through the gateway).</summary>
internal sealed class UncheckedKms(KeyService keys) : IKmsDataKeys
{
    public int Generated { get; private set; }
    public List<byte[]> Plaintexts { get; } = [];

    public async Task<DataKey> GenerateDataKeyAsync(string accountId, string region, string keyId, int numberOfBytes,
        IReadOnlyDictionary<string, string>? encryptionContext, RequestContext? caller, CancellationToken cancellationToken)
    {
        var key = await keys.GetKeyAsync(accountId, region, keyId, cancellationToken);
        var (plaintext, blob) = await keys.GenerateDataKeyAsync(key, null, numberOfBytes, encryptionContext, cancellationToken);
        Generated++;
        Plaintexts.Add(plaintext.ToArray());
        return new DataKey(key.Arn, plaintext, blob);
    }

    public async Task<DataKey> DecryptDataKeyAsync(string accountId, string region, byte[] ciphertextBlob,
        IReadOnlyDictionary<string, string>? encryptionContext, RequestContext? caller, CancellationToken cancellationToken)
    {
        var parsed = KeyService.ParseCiphertext(ciphertextBlob);
        var key = await keys.GetKeyAsync(accountId, region, parsed.KeyArn, cancellationToken);
        return new DataKey(key.Arn, keys.Decrypt(key, parsed, encryptionContext), ciphertextBlob);
    }

    public async Task<string> GetManagedKeyArnAsync(string accountId, string region, string service,
        CancellationToken cancellationToken) =>
        (await keys.GetOrCreateManagedKeyAsync(accountId, region, service, cancellationToken)).Arn;
}

/// <summary>SSE-KMS and SSE-C in the domain: keys from KMS or the customer, wrapped per blob.</summary>
public sealed class EncryptionKmsAndCustomerTests : IDisposable
{
    private readonly Harness _h = new();
    private readonly KeyService _keys;
    private readonly UncheckedKms _kms;
    private readonly ObjectService _objects;

    public EncryptionKmsAndCustomerTests()
    {
        _keys = new KeyService(new MemoryKmsStore(), MasterKey.Ephemeral(), _h.Clock, new KmsOptions());
        _kms = new UncheckedKms(_keys);
        _objects = new ObjectService(_h.Store, _h.Blobs, _h.Clock, new S3Limits { MinPartSize = 16 }, MasterKey.Ephemeral())
        {
            Kms = _kms,
        };
    }

    public void Dispose() => _h.Dispose();

    private static readonly byte[] s_customerKey = RandomNumberGenerator.GetBytes(32);

    private static CustomerKeyHeaders Customer(byte[]? key = null) => new("AES256",
        Convert.ToBase64String(key ?? s_customerKey), Convert.ToBase64String(MD5.HashData(key ?? s_customerKey)));

    private async Task<string> BucketAsync()
    {
        await _objects.CreateBucketAsync(Harness.Account, "us-east-1", "enc", null, default);
        return "enc";
    }

    private Task<ObjectVersionRecord> PutAsync(string key, byte[] body, ObjectWrite write) =>
        _objects.PutObjectAsync(Harness.Account, "enc", key, new MemoryStream(body), write, default);

    private async Task<byte[]> ReadAsync(string key, ObjectKeys? keys = null, string? range = null)
    {
        var read = await _objects.GetObjectAsync(Harness.Account, "enc", key, null, range, Conditions.None, true,
            keys ?? ObjectKeys.None, default);
        await using var body = read.Body!;
        var copy = new MemoryStream();
        await body.CopyToAsync(copy);
        return copy.ToArray();
    }

    [Fact]
    public async Task PutObject_Kms_KeyFromKmsWrapsBlobKey_ReadsBackWithRanges()
    {
        await BucketAsync();
        var key = await _keys.CreateKeyAsync(Harness.Account, "us-east-1", null, null, null, default);
        var data = RandomNumberGenerator.GetBytes(150_000);

        var put = await PutAsync("k", data, new ObjectWrite { ServerSideEncryption = "aws:kms", SseKmsKeyId = key.KeyId });

        Assert.Equal("aws:kms", put.ServerSideEncryption);
        Assert.Equal(key.Arn, put.Encryption!.KmsKeyArn);
        Assert.Equal("arn:aws:s3:::enc/k", put.Encryption.KmsContext!["aws:s3:arn"]);
        Assert.NotNull(put.Encryption.KmsKeyBlob);
        Assert.Equal(data, await ReadAsync("k"));
        Assert.Equal(data.AsSpan(65_000, 2_000).ToArray(), await ReadAsync("k", range: "bytes=65000-66999"));
        // The KMS data key itself is nowhere in the record.
        var plain = Convert.ToBase64String(_kms.Plaintexts.Single());
        Assert.DoesNotContain(plain, System.Text.Json.JsonSerializer.Serialize(put));
    }

    [Fact]
    public async Task PutObject_KmsWithoutKeyId_UsesAwsManagedKeyCreatedOnce()
    {
        await BucketAsync();

        var a = await PutAsync("a", "x"u8.ToArray(), new ObjectWrite { ServerSideEncryption = "aws:kms" });
        var b = await PutAsync("b", "y"u8.ToArray(), new ObjectWrite { ServerSideEncryption = "aws:kms" });

        var managed = await _keys.GetKeyAsync(Harness.Account, "us-east-1", "alias/aws/s3", default);
        Assert.Equal(managed.Arn, a.Encryption!.KmsKeyArn);
        Assert.Equal(managed.Arn, b.Encryption!.KmsKeyArn);
        Assert.Equal("y"u8.ToArray(), await ReadAsync("b"));
    }

    [Fact]
    public async Task PutObject_BucketDefaultKms_UsesItsKeyAndBucketKeyContext()
    {
        await BucketAsync();
        var key = await _keys.CreateKeyAsync(Harness.Account, "us-east-1", null, null, null, default);
        await _keys.CreateAliasAsync(Harness.Account, "us-east-1", "alias/bucket-default", key, default);
        await _objects.SetBucketEncryptionAsync(Harness.Account, "enc",
            new BucketEncryption("aws:kms") { KmsMasterKeyId = "alias/bucket-default", BucketKeyEnabled = true }, default);

        var put = await PutAsync("k", "hello"u8.ToArray(), new ObjectWrite());
        var explicitSse = await PutAsync("s3", "hello"u8.ToArray(), new ObjectWrite { ServerSideEncryption = "AES256" });

        Assert.Equal(("aws:kms", key.Arn, true), (put.ServerSideEncryption, put.Encryption!.KmsKeyArn, put.Encryption.BucketKeyEnabled));
        Assert.Equal("arn:aws:s3:::enc", put.Encryption.KmsContext!["aws:s3:arn"]);
        Assert.Equal(("AES256", null), (explicitSse.ServerSideEncryption, explicitSse.Encryption));
        Assert.Equal("hello"u8.ToArray(), await ReadAsync("k"));
    }

    [Fact]
    public async Task PutObject_KmsKeyDisabledOrUnknown_KmsErrors_NothingStored()
    {
        await BucketAsync();
        var key = await _keys.CreateKeyAsync(Harness.Account, "us-east-1", null, null, null, default);
        await _keys.DisableKeyAsync(key, default);
        var blobsBefore = _h.BlobFileCount;

        var disabled = await Assert.ThrowsAsync<AwsException>(() =>
            PutAsync("k", "x"u8.ToArray(), new ObjectWrite { ServerSideEncryption = "aws:kms", SseKmsKeyId = key.Arn }));
        var unknown = await Assert.ThrowsAsync<AwsException>(() => PutAsync("k", "x"u8.ToArray(),
            new ObjectWrite { ServerSideEncryption = "aws:kms", SseKmsKeyId = "11111111-2222-3333-4444-555555555555" }));

        Assert.Equal(("KMS.DisabledException", 400), (disabled.Code, disabled.StatusCode));
        Assert.Equal(("KMS.NotFoundException", 400), (unknown.Code, unknown.StatusCode));
        Assert.Equal(blobsBefore, _h.BlobFileCount);
        Assert.Null(await _h.Store.GetVersionAsync("enc", "k", null, default));
    }

    [Fact]
    public async Task GetObject_KmsKeyDisabledAfterPut_KmsDisabled_ReEnabledReads()
    {
        await BucketAsync();
        var key = await _keys.CreateKeyAsync(Harness.Account, "us-east-1", null, null, null, default);
        await PutAsync("k", "secret"u8.ToArray(), new ObjectWrite { ServerSideEncryption = "aws:kms", SseKmsKeyId = key.KeyId });
        await _keys.DisableKeyAsync(key, default);

        var error = await Assert.ThrowsAsync<AwsException>(() => ReadAsync("k"));
        var head = await _objects.GetObjectAsync(Harness.Account, "enc", "k", null, null, Conditions.None, false, default);
        await _keys.EnableKeyAsync(key, default);

        Assert.Equal("KMS.DisabledException", error.Code);
        Assert.Equal("aws:kms", head.Version.ServerSideEncryption);
        Assert.Equal("secret"u8.ToArray(), await ReadAsync("k"));
    }

    [Fact]
    public async Task Put_KmsHeadersWithoutKms_DsseOrUnknownAlgorithm_InvalidArgument()
    {
        await BucketAsync();

        var keyWithoutKms = await Assert.ThrowsAsync<AwsException>(() =>
            PutAsync("k", "x"u8.ToArray(), new ObjectWrite { ServerSideEncryption = "AES256", SseKmsKeyId = "alias/x" }));
        var dsse = await Assert.ThrowsAsync<AwsException>(() =>
            PutAsync("k", "x"u8.ToArray(), new ObjectWrite { ServerSideEncryption = "aws:kms:dsse" }));
        var context = await Assert.ThrowsAsync<AwsException>(() =>
            PutAsync("k", "x"u8.ToArray(), new ObjectWrite { ServerSideEncryption = "aws:kms", SseKmsContext = "not-base64!" }));
        var notMap = await Assert.ThrowsAsync<AwsException>(() => PutAsync("k", "x"u8.ToArray(),
            new ObjectWrite { ServerSideEncryption = "aws:kms", SseKmsContext = Convert.ToBase64String("[1]"u8) }));
        var bucketKeyId = await Assert.ThrowsAsync<AwsException>(() => _objects.SetBucketEncryptionAsync(Harness.Account, "enc",
            new BucketEncryption("AES256") { KmsMasterKeyId = "alias/x" }, default));

        Assert.All([keyWithoutKms, dsse, context, notMap, bucketKeyId], e => Assert.Equal(("InvalidArgument", 400), (e.Code, e.StatusCode)));
        Assert.Equal(0, _kms.Generated);
    }

    [Fact]
    public async Task PutObject_KmsContext_StoredAndRequiredToDecrypt()
    {
        await BucketAsync();
        var header = Convert.ToBase64String("""{"project":"kiln"}"""u8);

        var put = await PutAsync("k", "ctx"u8.ToArray(), new ObjectWrite { ServerSideEncryption = "aws:kms", SseKmsContext = header });

        Assert.Equal(header, put.Encryption!.KmsContextHeader);
        Assert.Equal("kiln", put.Encryption.KmsContext!["project"]);
        Assert.Equal("ctx"u8.ToArray(), await ReadAsync("k"));
    }

    [Fact]
    public async Task Multipart_Kms_OneKmsKeyPerUpload_PartsReadAcross()
    {
        await BucketAsync();
        var upload = await _objects.CreateUploadAsync(Harness.Account, "enc", "mp",
            new ObjectWrite { ServerSideEncryption = "aws:kms" }, default);
        var one = RandomNumberGenerator.GetBytes(70_000);
        var p1 = await _objects.UploadPartAsync(Harness.Account, "enc", "mp", upload.UploadId, 1, new MemoryStream(one),
            new ObjectWrite(), default);
        var p2 = await _objects.UploadPartAsync(Harness.Account, "enc", "mp", upload.UploadId, 2, new MemoryStream("tail"u8.ToArray()),
            new ObjectWrite(), default);

        var version = await _objects.CompleteUploadAsync(Harness.Account, "enc", "mp", upload.UploadId,
            [(1, p1.ETag), (2, p2.ETag)], default);

        Assert.Equal(1, _kms.Generated);
        Assert.Equal(("aws:kms", upload.Encryption!.KmsKeyBlob), (version.ServerSideEncryption, version.Encryption!.KmsKeyBlob));
        Assert.NotEqual(version.Segments[0].WrappedKey, version.Segments[1].WrappedKey);
        var whole = await ReadAsync("mp");
        var range = await ReadAsync("mp", range: "bytes=69998-70001");
        Assert.Equal(one.Concat("tail"u8.ToArray()), whole);
        Assert.Equal(one.Skip(69_998).Concat("ta"u8.ToArray()), range);
    }

    [Fact]
    public async Task PutObject_CustomerKey_KeyNeverStored_ReadNeedsSameKey()
    {
        await BucketAsync();
        var data = Encoding.UTF8.GetBytes("sse-c body " + new string('q', 70_000));

        var put = await PutAsync("c", data, new ObjectWrite { CustomerKey = Customer() });

        Assert.Null(put.ServerSideEncryption);
        Assert.Equal(("AES256", Customer().KeyMd5), (put.Encryption!.CustomerAlgorithm, put.Encryption.CustomerKeyMd5));
        var json = System.Text.Json.JsonSerializer.Serialize(put);
        Assert.DoesNotContain(Convert.ToBase64String(s_customerKey), json);
        Assert.Equal(data, await ReadAsync("c", new ObjectKeys(Customer(), null)));
        Assert.Equal(data.AsSpan(65_530, 20).ToArray(), await ReadAsync("c", new ObjectKeys(Customer(), null), "bytes=65530-65549"));

        var missing = await Assert.ThrowsAsync<AwsException>(() => ReadAsync("c"));
        var wrong = await Assert.ThrowsAsync<AwsException>(() =>
            ReadAsync("c", new ObjectKeys(Customer(RandomNumberGenerator.GetBytes(32)), null)));
        var headMissing = await Assert.ThrowsAsync<AwsException>(() =>
            _objects.GetObjectAsync(Harness.Account, "enc", "c", null, null, Conditions.None, false, default));
        var head = await _objects.GetObjectAsync(Harness.Account, "enc", "c", null, null, Conditions.None, false,
            new ObjectKeys(Customer(), null), default);

        Assert.Equal(("InvalidRequest", 400), (missing.Code, missing.StatusCode));
        Assert.Equal(("AccessDenied", 403), (wrong.Code, wrong.StatusCode));
        Assert.Equal("InvalidRequest", headMissing.Code);
        Assert.Equal(data.Length, head.Length);
    }

    [Fact]
    public async Task CustomerKey_BadHeaders_InvalidArgument_NotApplicableOnPlainObject()
    {
        await BucketAsync();
        await PutAsync("plain", "p"u8.ToArray(), new ObjectWrite());
        var good = Customer();

        async Task<AwsException> PutWith(CustomerKeyHeaders h, string? sse = null) => await Assert.ThrowsAsync<AwsException>(() =>
            PutAsync("c", "x"u8.ToArray(), new ObjectWrite { CustomerKey = h, ServerSideEncryption = sse }));

        var md5 = await PutWith(good with { KeyMd5 = Convert.ToBase64String(MD5.HashData("other"u8)) });
        var noMd5 = await PutWith(good with { KeyMd5 = null });
        var shortKey = await PutWith(new CustomerKeyHeaders("AES256", Convert.ToBase64String(new byte[16]),
            Convert.ToBase64String(MD5.HashData(new byte[16]))));
        var algorithm = await PutWith(good with { Algorithm = "AES128" });
        var noKey = await PutWith(good with { Key = null });
        var withSse = await PutWith(good, "AES256");
        var notApplicable = await Assert.ThrowsAsync<AwsException>(() => ReadAsync("plain", new ObjectKeys(good, null)));

        Assert.Equal("The calculated MD5 hash of the key did not match the hash that was provided.", md5.Message);
        Assert.All([md5, noMd5, shortKey, algorithm, noKey, withSse], e => Assert.Equal(("InvalidArgument", 400), (e.Code, e.StatusCode)));
        Assert.Equal(("InvalidRequest", "The encryption parameters are not applicable to this object."),
            (notApplicable.Code, notApplicable.Message));
        Assert.Null(await _h.Store.GetVersionAsync("enc", "c", null, default));
    }

    [Fact]
    public async Task Multipart_CustomerKey_PartsNeedSameKey()
    {
        await BucketAsync();
        var upload = await _objects.CreateUploadAsync(Harness.Account, "enc", "mp", new ObjectWrite { CustomerKey = Customer() }, default);

        var missing = await Assert.ThrowsAsync<AwsException>(() => _objects.UploadPartAsync(Harness.Account, "enc", "mp",
            upload.UploadId, 1, new MemoryStream("a"u8.ToArray()), new ObjectWrite(), default));
        var wrong = await Assert.ThrowsAsync<AwsException>(() => _objects.UploadPartAsync(Harness.Account, "enc", "mp",
            upload.UploadId, 1, new MemoryStream("a"u8.ToArray()),
            new ObjectWrite { CustomerKey = Customer(RandomNumberGenerator.GetBytes(32)) }, default));
        var p1 = await _objects.UploadPartAsync(Harness.Account, "enc", "mp", upload.UploadId, 1,
            new MemoryStream(new byte[20]), new ObjectWrite { CustomerKey = Customer() }, default);
        var p2 = await _objects.UploadPartAsync(Harness.Account, "enc", "mp", upload.UploadId, 2,
            new MemoryStream("end"u8.ToArray()), new ObjectWrite { CustomerKey = Customer() }, default);
        await _objects.CompleteUploadAsync(Harness.Account, "enc", "mp", upload.UploadId, [(1, p1.ETag), (2, p2.ETag)], default);

        Assert.Equal(("InvalidRequest", "InvalidRequest"), (missing.Code, wrong.Code));
        var read = await ReadAsync("mp", new ObjectKeys(Customer(), null));
        Assert.Equal(new byte[20].Concat("end"u8.ToArray()), read);
    }

    [Fact]
    public async Task CopyObject_CustomerSourceToKmsDestination_AndBack()
    {
        await BucketAsync();
        await PutAsync("c", "copied"u8.ToArray(), new ObjectWrite { CustomerKey = Customer() });

        var noSourceKey = await Assert.ThrowsAsync<AwsException>(() => _objects.CopyObjectAsync(Harness.Account, "enc", "c",
            null, Conditions.None, "enc", "k", false, false, new ObjectWrite(), default));
        var (_, kmsCopy) = await _objects.CopyObjectAsync(Harness.Account, "enc", "c", null, Conditions.None, "enc", "k",
            false, false, new ObjectWrite { ServerSideEncryption = "aws:kms" }, new ObjectKeys(Customer(), null), default);
        var other = RandomNumberGenerator.GetBytes(32);
        var (_, customerCopy) = await _objects.CopyObjectAsync(Harness.Account, "enc", "k", null, Conditions.None, "enc", "c2",
            false, false, new ObjectWrite { CustomerKey = Customer(other) }, ObjectKeys.None, default);

        Assert.Equal("InvalidRequest", noSourceKey.Code);
        Assert.Equal("aws:kms", kmsCopy.ServerSideEncryption);
        Assert.Equal("copied"u8.ToArray(), await ReadAsync("k"));
        Assert.Equal(Customer(other).KeyMd5, customerCopy.Encryption!.CustomerKeyMd5);
        Assert.Equal("copied"u8.ToArray(), await ReadAsync("c2", new ObjectKeys(Customer(other), null)));
    }

    [Fact]
    public void BucketEncryption_Column_ReadsLegacyPlainAlgorithmAndJson()
    {
        var kms = new BucketEncryption("aws:kms") { KmsMasterKeyId = "arn:aws:kms:us-east-1:111111111111:key/x", BucketKeyEnabled = true };

        Assert.Equal(new BucketEncryption("AES256"), BucketEncryption.FromColumn("AES256"));
        Assert.Null(BucketEncryption.FromColumn(null));
        Assert.Equal(kms, BucketEncryption.FromColumn(BucketEncryption.ToColumn(kms)));
    }
}
