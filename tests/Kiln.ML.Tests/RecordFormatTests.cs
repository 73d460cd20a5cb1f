using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Kiln.ML.Data;

namespace Kiln.ML.Tests;

/// <summary>application/x-recordio-protobuf and application/jsonlines readers, on valid and malformed input.</summary>
public sealed class RecordFormatTests
{
    /// <summary>
    /// Written by Fixtures/recordio_fixture.py (stdlib struct only, independent of Kiln's reader):
    /// two dense records (float32 label 1; int32 label 0) and one record whose payload holds the
    /// RecordIO magic, so the writer split it into parts with cflag 1 and 3.
    /// </summary>
    private const string PythonFixture =
        "0a23d7ce300000000a1a0a0676616c7565731210120e0a0c0000c03f000000c00000803e12120a0676616c756573120812060a040000803f" +
        "0a23d7ce2d0000000a1a0a0676616c7565731210120e0a0c000000000000404000008040120f0a0676616c75657312053a030a0100000000" +
        "0a23d7ce100000200a1a0a0676616c7565731210120e0a0c0a23d7ce1c000060000010410000104112120a0676616c756573120812060a040000803f";

    [Fact]
    public void RecordIO_PythonFixture_ReadsDenseRecordsAndJoinsSplitRecord()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "train.recordio");
        File.WriteAllBytes(path, Convert.FromHexString(PythonFixture));
        var data = DataReader.ReadAll(path, "application/x-recordio-protobuf", hasLabel: true);
        Assert.Null(data.Sparse);
        Assert.Equal([1f, 0f, 1f], data.Labels!);
        Assert.Equal([1.5f, -2f, 0.25f], data.Features.Row(0).ToArray());
        Assert.Equal([0f, 3f, 4f], data.Features.Row(1).ToArray());
        Assert.Equal([BitConverter.Int32BitsToSingle(unchecked((int)RecordIOProtobufReader.Magic)), 9f, 9f], data.Features.Row(2).ToArray());
    }

    [Fact]
    public void RecordIO_SdkDenseLayout_RoundTrips_AlsoGzippedAndInBatches()
    {
        using var dir = new TempDir();
        var rows = new[] { new[] { 1f, 2f, 3f }, new[] { -1f, 0f, 0.5f }, new[] { 4f, 5f, 6f } };
        var bytes = SdkEncoder.Dense(rows, [0f, 1f, 2f]);
        var path = Path.Combine(dir.Path, "d.recordio");
        File.WriteAllBytes(path, bytes);
        var gz = Path.Combine(dir.Path, "d.recordio.gz");
        using (var f = File.Create(gz))
        using (var z = new GZipStream(f, CompressionLevel.Fastest))
        {
            z.Write(bytes);
        }
        foreach (var file in new[] { path, gz })
        {
            var data = DataReader.ReadAll(file, "application/x-recordio-protobuf", hasLabel: true);
            Assert.Equal([0f, 1f, 2f], data.Labels!);
            Assert.Equal(rows.SelectMany(r => r), data.Features.Data.ToArray());
        }
        var batches = DataReader.ReadBatches(path, "application/x-recordio-protobuf", hasLabel: true, batchRows: 2)
            .Select(b => (b.Rows, Labels: b.Labels!.ToArray(), First: b.Features.Row(0).ToArray())).ToList();
        Assert.Equal([2, 1], batches.Select(b => b.Rows));
        Assert.Equal([4f, 5f, 6f], batches[1].First);
        Assert.Equal([2f], batches[1].Labels);
    }

    [Fact]
    public void RecordIO_SdkSparseLayout_StaysSparse_AndDensifiesInBatches()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "s.recordio");
        File.WriteAllBytes(path, SdkEncoder.Sparse([([1, 4], [2f, -3f]), ([], []), ([0], [7f])], width: 6, labels: [1f, 0f, 1f]));
        var data = DataReader.ReadAll(path, "application/x-recordio-protobuf", hasLabel: true);
        Assert.NotNull(data.Sparse);
        Assert.Equal(6, data.Cols);
        Assert.Equal([0, 2, 2, 3], data.Sparse!.RowStart);
        Assert.Equal([1, 4, 0], data.Sparse.Index);
        Assert.Equal([2f, -3f, 7f], data.Sparse.Value);
        var batch = DataReader.ReadBatches(path, "application/x-recordio-protobuf", hasLabel: true, batchRows: 8).Single();
        Assert.Equal([0f, 2f, 0f, 0f, -3f, 0f], batch.Features.Row(0).ToArray());
        Assert.Equal([7f, 0f, 0f, 0f, 0f, 0f], batch.Features.Row(2).ToArray());
    }

    [Fact]
    public void RecordIO_Malformed_NamesFileRecordAndField()
    {
        using var dir = new TempDir();
        var good = SdkEncoder.Dense([[1f, 2f]], [1f]);

        var badMagic = (byte[])good.Clone();
        badMagic[0] ^= 0xff;
        Assert.StartsWith("bad.recordio:2:0: recordio: bad magic", Read(dir, "bad.recordio", [.. good, .. badMagic]));

        Assert.StartsWith("short.recordio:2:0: recordio: the file ends inside a record", Read(dir, "short.recordio", [.. good, .. good[..^6]]));

        var outOfRange = SdkEncoder.Sparse([([0], [1f]), ([9], [1f])], width: 3, labels: [0f, 1f]);
        Assert.StartsWith("keys.recordio:2:0: features.keys: key 9 is outside the 3 features", Read(dir, "keys.recordio", outOfRange));

        var noLabel = SdkEncoder.Dense([[1f, 2f], [3f, 4f]], labels: null);
        Assert.StartsWith("nolabel.recordio:1:0: label: the label is missing", Read(dir, "nolabel.recordio", noLabel));

        var wide = SdkEncoder.Dense([[1f, 2f], [3f, 4f, 5f]], [0f, 1f]);
        Assert.StartsWith("wide.recordio:2:0: features: expected 2 features, found 3", Read(dir, "wide.recordio", wide));
    }

    private static string Read(TempDir dir, string name, byte[] bytes)
    {
        var path = Path.Combine(dir.Path, name);
        File.WriteAllBytes(path, bytes);
        return Assert.Throws<DataFormatException>(() => DataReader.ReadAll(path, "application/x-recordio-protobuf", hasLabel: true)).Message;
    }

    [Fact]
    public void JsonLines_DenseSparseAndWrapped_ReadAsSageMakerDocumentsThem()
    {
        using var dir = new TempDir();
        var dense = dir.File("d.jsonl", "{\"features\": [1.5, 16.0, null], \"label\": 1}\n\n{\"label\": [0], \"features\": [2, 3, 4]}\n");
        var data = DataReader.ReadAll(dense, "application/jsonlines", hasLabel: true);
        Assert.Equal([1f, 0f], data.Labels!);
        Assert.Equal(1.5f, data.Features[0, 0]);
        Assert.True(float.IsNaN(data.Features[0, 2]));
        Assert.Equal([2f, 3f, 4f], data.Features.Row(1).ToArray());

        var sparse = dir.File("s.jsonl",
            "{\"data\": {\"features\": {\"keys\": [2], \"shape\": [4], \"values\": [5]}}}\n{\"features\": {\"keys\": [0, 3], \"shape\": [4], \"values\": [1, 2]}}\n");
        var s = DataReader.ReadAll(sparse, "application/jsonlines", hasLabel: false);
        Assert.Equal(4, s.Cols);
        Assert.Equal([2, 0, 3], s.Sparse!.Index);
        Assert.Null(s.Labels);
    }

    [Theory]
    [InlineData("{\"features\": [1, 2], \"label\": 1}\n{\"features\": [1, \"x\"], \"label\": 0}\n", "j.jsonl:2:0: features[1]: \"x\" is not a number")]
    [InlineData("{\"features\": [1, 2], \"label\": 1}\n{\"features\": [1, 2]}\n", "j.jsonl:2:0: label: the label is missing or NaN")]
    [InlineData("{\"features\": [1, 2], \"label\": \"yes\"}\n", "j.jsonl:1:0: label: \"yes\" is not a number")]
    [InlineData("{\"features\": [1, 2], \"label\": 1}\n{\"features\": [1], \"label\": 1}\n", "j.jsonl:2:0: features: expected 2 features, found 1")]
    [InlineData("{\"features\": [1, 2], \"label\": 1}\n\n{\"features\": [1, 2\n", "j.jsonl:3:0: line: not valid JSON")]
    [InlineData("{\"label\": 1}\n", "j.jsonl:1:0: features: the line has no \"features\"")]
    public void JsonLines_Malformed_NamesFileLineAndField(string content, string expected)
    {
        using var dir = new TempDir();
        var e = Assert.Throws<DataFormatException>(() => DataReader.ReadAll(dir.File("j.jsonl", content), "application/jsonlines", hasLabel: true));
        Assert.StartsWith(expected, e.Message);
    }
}
