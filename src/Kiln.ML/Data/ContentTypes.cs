namespace Kiln.ML.Data;

/// <summary>The MIME types SageMaker's built-in algorithms accept and answer with.</summary>
public static class ContentTypes
{
    public const string Csv = "text/csv";
    public const string LibSvm = "text/libsvm";
    public const string Json = "application/json";
    public const string JsonLines = "application/jsonlines";
    public const string RecordIOProtobuf = "application/x-recordio-protobuf";

    /// <summary>What <see cref="DataReader"/> reads (application/json is an inference response type only).</summary>
    public static readonly string[] Readable = [Csv, LibSvm, RecordIOProtobuf, JsonLines];

    /// <summary>
    /// Drops parameters such as <c>text/csv;label_size=1</c> (SageMaker allows them) and checks the
    /// type is one Kiln reads.
    /// </summary>
    public static string Normalize(string contentType, params string[] allowed)
    {
        var bare = contentType.Split(';')[0].Trim().ToLowerInvariant();
        if (bare == "text/x-libsvm")
        {
            bare = LibSvm;
        }
        if (!allowed.Contains(bare))
        {
            throw new ArgumentException(
                $"content type '{contentType}' is not supported here; use one of: {string.Join(", ", allowed)}");
        }
        return bare;
    }
}
