using Kiln.Core;
using Kiln.Services.S3.Domain;
using Kiln.Services.S3.Storage;
using Kiln.Storage.Crypto;
using Kiln.Storage.Sqlite;

namespace Kiln.Services.S3.Tests;

/// <summary>A clock tests move by hand.</summary>
internal sealed class TestClock : IClock
{
    public DateTimeOffset UtcNow { get; set; } = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);

    public void Advance(TimeSpan by) => UtcNow += by;
}

/// <summary>A per-test temp directory, deleted at the end.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "kiln-s3-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>An ObjectService over the in-memory metadata store and a FileBlobStore in a temp dir,
/// with small multipart parts allowed so tests stay fast.</summary>
internal sealed class Harness : IDisposable
{
    public const string Account = "111111111111";
    public const string Other = "222222222222";

    private readonly TempDir _dir = new();

    public Harness(IS3MetadataStore? store = null)
    {
        Store = store ?? new MemoryS3MetadataStore();
        Blobs = new FileBlobStore(System.IO.Path.Combine(_dir.Path, "s3"));
        Objects = new ObjectService(Store, Blobs, Clock, new S3Limits { MinPartSize = 16 }, MasterKey.Ephemeral());
    }

    public TestClock Clock { get; } = new();
    public IS3MetadataStore Store { get; }
    public FileBlobStore Blobs { get; }
    public ObjectService Objects { get; }
    public string BlobRoot => System.IO.Path.Combine(_dir.Path, "s3", "blobs");

    public int BlobFileCount => Directory.EnumerateFiles(BlobRoot, "*", SearchOption.AllDirectories).Count();

    public static SqliteS3MetadataStore NewSqlite(TempDir dir) =>
        new(new SqliteDatabase(System.IO.Path.Combine(dir.Path, "metadata.db")));

    public async Task<string> BucketAsync(string name = "bucket-one")
    {
        await Objects.CreateBucketAsync(Account, "us-east-1", name, null, default);
        return name;
    }

    public Task<ObjectVersionRecord> PutAsync(string bucket, string key, string body, ObjectWrite? write = null) =>
        Objects.PutObjectAsync(Account, bucket, key, new MemoryStream(System.Text.Encoding.UTF8.GetBytes(body)),
            write ?? new ObjectWrite(), default);

    public async Task<string> ReadAsync(string bucket, string key, string? versionId = null, string? range = null)
    {
        var read = await Objects.GetObjectAsync(Account, bucket, key, versionId, range, Conditions.None, true, default);
        await using var body = read.Body!;
        using var reader = new StreamReader(body);
        return await reader.ReadToEndAsync();
    }

    public void Dispose() => _dir.Dispose();
}
