using System.IO.Compression;
using Kiln.ML.Data;

namespace Kiln.ML.Tests;

public sealed class DataTests
{
    [Fact]
    public void ReadCsv_LabelFirst_SplitsLabelsAndFeatures()
    {
        using var dir = new TempDir();
        var data = DataReader.ReadAll(dir.File("t.csv", "1,2.5,3\n0,-1,4e2\n\n"), "text/csv", hasLabel: true);
        Assert.Equal([1f, 0f], data.Labels!);
        Assert.Equal(2, data.Features.Cols);
        Assert.Equal([2.5f, 3f, -1f, 400f], data.Features.Data.ToArray());
    }

    [Fact]
    public void ReadCsv_EmptyField_IsNaN()
    {
        using var dir = new TempDir();
        var data = DataReader.ReadAll(dir.File("t.csv", "1,,3\r\n0,2,\r\n"), "text/csv;label_size=1", hasLabel: true);
        Assert.True(float.IsNaN(data.Features[0, 0]));
        Assert.True(float.IsNaN(data.Features[1, 1]));
        Assert.Equal(3f, data.Features[0, 1]);
    }

    [Fact]
    public void ReadCsv_NoLabel_KeepsEveryColumn()
    {
        using var dir = new TempDir();
        var data = DataReader.ReadAll(dir.File("t.csv", "1,2\n3,4\n"), "text/csv", hasLabel: false);
        Assert.Null(data.Labels);
        Assert.Equal([1f, 2f, 3f, 4f], data.Features.Data.ToArray());
    }

    [Fact]
    public void ReadCsv_Gzip_IsDetectedByContent()
    {
        using var dir = new TempDir();
        var path = System.IO.Path.Combine(dir.Path, "t.csv");
        using (var gz = new GZipStream(File.Create(path), CompressionLevel.Fastest))
        using (var w = new StreamWriter(gz))
        {
            w.Write("1,2,3\n0,4,5\n");
        }
        var data = DataReader.ReadAll(path, "text/csv", hasLabel: true);
        Assert.Equal([2f, 3f, 4f, 5f], data.Features.Data.ToArray());
    }

    [Theory]
    [InlineData("1,2,3\n0,4\n", 2, 2, "expected 3 columns, found 2")]
    [InlineData("1,2,3\n0,4,5,6\n", 2, 4, "expected 3 columns, found 4")]
    [InlineData("1,2,3\n0,abc,5\n", 2, 2, "'abc' is not a number")]
    [InlineData("1,2,3\n,4,5\n", 2, 1, "the label is missing or NaN")]
    [InlineData("1,2,3\nNaN,4,5\n", 2, 1, "the label is missing or NaN")]
    public void ReadCsv_Malformed_NamesFileLineAndColumn(string content, int line, int column, string reason)
    {
        using var dir = new TempDir();
        var e = Assert.Throws<DataFormatException>(() => DataReader.ReadAll(dir.File("bad.csv", content), "text/csv", hasLabel: true));
        Assert.Equal("bad.csv", e.File);
        Assert.Equal(line, e.Line);
        Assert.Equal(column, e.Column);
        Assert.Equal(reason, e.Reason);
        Assert.StartsWith($"bad.csv:{line}:{column}:", e.Message);
    }

    [Fact]
    public void ReadBatches_StreamsInBoundedBatches()
    {
        using var dir = new TempDir();
        var lines = string.Join("\n", Enumerable.Range(0, 10).Select(i => $"{i},{i * 10},{i * 100}"));
        var path = dir.File("t.csv", lines);
        var sizes = new List<int>();
        var labels = new List<float>();
        foreach (var batch in DataReader.ReadBatches(path, hasLabel: true, batchRows: 4))
        {
            sizes.Add(batch.Rows);
            labels.AddRange(batch.Labels!);
            Assert.Equal(batch.Labels![0] * 10, batch.Features[0, 0]);
        }
        Assert.Equal([4, 4, 2], sizes);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (float)i), labels);
    }

    [Fact]
    public void ReadLibSvm_SparseRows_AbsentIsZero()
    {
        using var dir = new TempDir();
        var data = DataReader.ReadAll(dir.File("t.libsvm", "1 0:1.5 2:3\n0 qid:4 1:-2\n"), "text/libsvm", hasLabel: true);
        Assert.Equal([1f, 0f], data.Labels!);
        Assert.Equal([1.5f, 0f, 3f, 0f, -2f, 0f], data.Features.Data.ToArray());
    }

    [Theory]
    [InlineData("1 0:1\nx 1:2\n", 2, 1)]
    [InlineData("1 0:1\n0 1-2\n", 2, 2)]
    [InlineData("1 0:1\n0 1:2 3:z\n", 2, 3)]
    public void ReadLibSvm_Malformed_NamesLineAndColumn(string content, int line, int column)
    {
        using var dir = new TempDir();
        var e = Assert.Throws<DataFormatException>(() => DataReader.ReadAll(dir.File("bad.libsvm", content), "text/libsvm", hasLabel: true));
        Assert.Equal((line, column), ((int)e.Line, e.Column));
    }

    [Fact]
    public void ReadAll_UnknownContentType_Throws()
    {
        using var dir = new TempDir();
        Assert.Throws<ArgumentException>(() => DataReader.ReadAll(dir.File("t", "1,2"), "application/x-parquet", true));
    }
}
