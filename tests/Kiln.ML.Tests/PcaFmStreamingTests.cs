using System.Globalization;
using System.Text;
using Kiln.ML.Data;
using Kiln.ML.Trainers;

namespace Kiln.ML.Tests;

/// <summary>Out-of-core PCA and Factorization Machines, and text/libsvm read batch by batch.</summary>
public sealed class PcaFmStreamingTests
{
    private static string F(float v) => v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Label-first CSV; NaN is written as an empty field.</summary>
    private static string WriteCsv(TempDir dir, string name, DenseMatrix x, float[] y)
    {
        var text = new StringBuilder();
        for (var i = 0; i < x.Rows; i++)
        {
            text.Append(F(y[i]));
            foreach (var v in x.Row(i))
            {
                text.Append(',').Append(float.IsNaN(v) ? "" : F(v));
            }
            text.Append('\n');
        }
        return dir.File(name, text.ToString());
    }

    private static string WriteLibSvm(TempDir dir, string name, SparseMatrix x, float[] y)
    {
        var text = new StringBuilder();
        for (var i = 0; i < x.Rows; i++)
        {
            text.Append(F(y[i]));
            var index = x.RowIndices(i);
            var value = x.RowValues(i);
            for (var p = 0; p < index.Length; p++)
            {
                text.Append(' ').Append(index[p]).Append(':').Append(F(value[p]));
            }
            text.Append('\n');
        }
        return dir.File(name, text.ToString());
    }

    private static DenseMatrix Correlated(int rows, int seed)
    {
        var x = TestData.Gaussian(rows, 7, seed);
        var rng = new Random(seed);
        for (var i = 0; i < rows; i++)
        {
            x[i, 0] = 4 * x[i, 0] + 500;
            x[i, 1] = 2 * x[i, 1] + x[i, 0];
            x[i, 5] -= 3 * x[i, 2];
            if (rng.Next(20) == 0)
            {
                x[i, rng.Next(7)] = float.NaN;
            }
        }
        return x;
    }

    /// <summary>
    /// The streamed model equals the in-memory one to rounding: the same one-pass sums (regular) or
    /// the same iteration (randomized), only summed in a different order over the threads and batches.
    /// 40,000 rows span three of the stream's batches.
    /// </summary>
    [Theory]
    [InlineData("regular", "true")]
    [InlineData("regular", "false")]
    [InlineData("randomized", "true")]
    public void Pca_Streamed_EqualsInMemory(string mode, string subtractMean)
    {
        using var dir = new TempDir();
        const int k = 3;
        var x = Correlated(40_000, 21);
        var path = WriteCsv(dir, "train.csv", x, new float[x.Rows]);
        (string, string)[] hp = [("num_components", "3"), ("algorithm_mode", mode), ("subtract_mean", subtractMean), ("extra_components", "1")];
        var memory = (PcaModel)new PcaTrainer().Train(DataReader.ReadAll(path, "text/csv", true), null, TestData.Hp(hp), TestData.Context);
        var streamed = (PcaModel)new PcaTrainer().Train(new BatchSource(path, "text/csv", true), null, TestData.Hp(hp), TestData.Context);
        Assert.Equal(memory.Metrics["train:explained_variance_ratio"], streamed.Metrics["train:explained_variance_ratio"], 1e-6);
        for (var c = 0; c < k; c++)
        {
            Assert.Equal(memory.Eigenvalues[c], streamed.Eigenvalues[c], 1e-5 * memory.Eigenvalues[0]);
            var dot = 0.0;
            for (var j = 0; j < x.Cols; j++)
            {
                dot += memory.Components[c * x.Cols + j] * streamed.Components[c * x.Cols + j];
            }
            Assert.Equal(1, Math.Abs(dot), 1e-5);
        }
        Assert.Equal(memory.ColumnMeans.ToArray(), streamed.ColumnMeans.ToArray(), (a, b) => Math.Abs(a - b) <= 1e-4f * (1 + Math.Abs(a)));
    }

    private static (SparseMatrix X, float[] Y) Ratings(int users, int items, int rows, int seed, bool binary)
    {
        var rng = new Random(seed);
        var p = Enumerable.Range(0, users * 2).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var q = Enumerable.Range(0, items * 2).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var starts = new int[rows + 1];
        var index = new int[2 * rows];
        var values = new float[2 * rows];
        var y = new float[rows];
        for (var r = 0; r < rows; r++)
        {
            var (u, i) = (rng.Next(users), rng.Next(items));
            (index[2 * r], index[2 * r + 1]) = (u, users + i);
            values[2 * r] = values[2 * r + 1] = 1;
            starts[r + 1] = 2 * r + 2;
            var score = 2 * (p[2 * u] * q[2 * i] + p[2 * u + 1] * q[2 * i + 1]) + 0.05 * (rng.NextDouble() - 0.5);
            y[r] = binary ? (score > 0 ? 1 : 0) : (float)(3 + score);
        }
        return (new SparseMatrix(starts, index, values, users + items), y);
    }

    /// <summary>A file that fits one shuffle window trains exactly as in memory: the same shuffle of the same rows, the same steps.</summary>
    [Theory]
    [InlineData("regressor")]
    [InlineData("binary_classifier")]
    public void FactorizationMachines_Streamed_EqualsInMemory_WhenTheFileFitsOneShuffleWindow(string type)
    {
        using var dir = new TempDir();
        var (x, y) = Ratings(60, 40, 3000, 22, type == "binary_classifier");
        var (xv, yv) = Ratings(60, 40, 500, 23, type == "binary_classifier");
        var path = WriteLibSvm(dir, "train.libsvm", x, y);
        var validationPath = WriteLibSvm(dir, "validation.libsvm", xv, yv);
        (string, string)[] hp = [("feature_dim", "100"), ("num_factors", "4"), ("predictor_type", type), ("epochs", "3"),
            ("mini_batch_size", "50")];
        var memory = (FactorizationMachinesModel)new FactorizationMachinesTrainer().Train(
            DataReader.ReadAll(path, "text/libsvm", true), DataReader.ReadAll(validationPath, "text/libsvm", true, 100),
            TestData.Hp(hp), TestData.Context);
        var streamed = (FactorizationMachinesModel)new FactorizationMachinesTrainer().Train(
            new BatchSource(path, "text/libsvm", true), new BatchSource(validationPath, "text/libsvm", true),
            TestData.Hp(hp), TestData.Context);
        Assert.Equal(memory.Scores(xv, 2), streamed.Scores(xv, 2));
        Assert.Equal(memory.Metrics.Keys.Order(), streamed.Metrics.Keys.Order());
        foreach (var (name, value) in memory.Metrics)
        {
            Assert.Equal(value, streamed.Metrics[name], 1e-9);
        }
    }

    [Fact]
    public void FactorizationMachines_Streamed_OverSeveralWindows_FromCsv_Learns()
    {
        using var dir = new TempDir();
        var (x, y) = Ratings(30, 20, 80_000, 24, binary: false);
        var path = WriteCsv(dir, "train.csv", x.ToDense(), y);
        var model = new FactorizationMachinesTrainer().Train(new BatchSource(path, "text/csv", true), null,
            TestData.Hp(("feature_dim", "50"), ("num_factors", "4"), ("predictor_type", "regressor"), ("epochs", "3"),
                ("mini_batch_size", "100"), ("factors_lr", "0.01"), ("linear_lr", "0.01"), ("factors_init_sigma", "0.1")),
            TestData.Context);
        var variance = y.Select(v => (double)v).ToArray() is var d ? d.Select(v => (v - d.Average()) * (v - d.Average())).Average() : 0;
        Assert.True(model.Metrics["train:mse"] < 0.5 * variance, $"mse {model.Metrics["train:mse"]} vs variance {variance}");
    }

    /// <summary>
    /// Sparse application/x-recordio-protobuf (the SageMaker SDK's layout for scipy sparse matrices) streams
    /// record by record into the same sparse batches as text/libsvm: over several shuffle windows the two
    /// files train the same model, and it learns.
    /// </summary>
    [Fact]
    public void FactorizationMachines_Streamed_SparseRecordIO_OverSeveralWindows_EqualsLibSvm()
    {
        using var dir = new TempDir();
        var (x, y) = Ratings(30, 20, 70_000, 25, binary: false);
        var libsvm = WriteLibSvm(dir, "train.libsvm", x, y);
        var recordio = System.IO.Path.Combine(dir.Path, "train.rec");
        File.WriteAllBytes(recordio, SdkEncoder.Sparse(
            Enumerable.Range(0, x.Rows).Select(r => (x.RowIndices(r).ToArray(), x.RowValues(r).ToArray())).ToArray(), x.Cols, y));
        var hp = TestData.Hp(("feature_dim", "50"), ("num_factors", "4"), ("predictor_type", "regressor"), ("epochs", "2"),
            ("mini_batch_size", "100"), ("factors_lr", "0.01"), ("linear_lr", "0.01"), ("factors_init_sigma", "0.1"));

        var fromRecordIO = (FactorizationMachinesModel)new FactorizationMachinesTrainer().Train(
            new BatchSource(recordio, "application/x-recordio-protobuf", true), null, hp, TestData.Context);
        var fromLibSvm = (FactorizationMachinesModel)new FactorizationMachinesTrainer().Train(
            new BatchSource(libsvm, "text/libsvm", true), null, hp, TestData.Context);

        Assert.Equal(fromLibSvm.Scores(x, 2), fromRecordIO.Scores(x, 2));
        Assert.Equal(fromLibSvm.Metrics["train:mse"], fromRecordIO.Metrics["train:mse"]);
        var mean = y.Average(v => (double)v);
        var variance = y.Average(v => (v - mean) * (v - mean));
        Assert.True(fromRecordIO.Metrics["train:mse"] < 0.5 * variance, $"mse {fromRecordIO.Metrics["train:mse"]} vs variance {variance}");
    }

    [Fact]
    public void FactorizationMachines_Streamed_IndexPastFeatureDim_NamesTheLine()
    {
        using var dir = new TempDir();
        var path = dir.File("train.libsvm", "1 0:1 3:1\n2 1:1 12:1\n");
        var e = Assert.Throws<DataFormatException>(() => new FactorizationMachinesTrainer().Train(new BatchSource(path, "text/libsvm", true), null,
            TestData.Hp(("feature_dim", "10"), ("num_factors", "2"), ("predictor_type", "regressor")), TestData.Context));
        Assert.Contains("index 12 is outside feature_dim 10", e.Message);
        Assert.Equal(2, e.Line);
    }

    [Fact]
    public void LibSvm_Batches_EqualReadAll_DenseAndSparse()
    {
        using var dir = new TempDir();
        var path = dir.File("x.libsvm", "# comment\n1 0:1.5 4:2\n\n0 qid:3 2:-1\n1\n2 4:7 1:0.25\n");
        var all = DataReader.ReadAll(path, "text/libsvm", true);
        var source = new BatchSource(path, "text/libsvm", true);
        Assert.True(BatchSource.CanStream("text/libsvm"));
        Assert.Equal(5, source.FeatureCount);
        var dense = source.Batches(3).Select(b => (b.Features.Data.ToArray(), b.Labels!)).ToArray();
        Assert.Equal([3, 1], dense.Select(b => b.Item2.Length));
        Assert.Equal(all.Features.Data.ToArray(), dense.SelectMany(b => b.Item1));
        Assert.Equal(all.Labels, dense.SelectMany(b => b.Item2));
        var sparse = source.SparseBatches(2, 5).ToArray();
        Assert.Equal([2, 2], sparse.Select(b => b.Rows));
        Assert.Equal(all.Sparse!.Index, sparse.SelectMany(b => b.Sparse!.Index));
        Assert.Equal(all.Sparse.Value, sparse.SelectMany(b => b.Sparse!.Value));
        Assert.Equal([0, 2, 3, 3, 5], all.Sparse.RowStart);
        Assert.Equal([0, 0, 2], sparse[1].Sparse!.RowStart);
    }

    [Fact]
    public void Csv_SparseBatches_KeepNonZeroPresentValues()
    {
        using var dir = new TempDir();
        var path = dir.File("x.csv", "1,0,2.5,,3\n0,0,0,0,-1\n");
        var batch = Assert.Single(DataReader.ReadSparseBatches(path, "text/csv", true, 10, 4));
        Assert.Equal([0, 2, 3], batch.Sparse!.RowStart);
        Assert.Equal([1, 3, 3], batch.Sparse.Index);
        Assert.Equal([2.5f, 3f, -1f], batch.Sparse.Value);
        Assert.Equal([1f, 0f], batch.Labels!);
    }
}
