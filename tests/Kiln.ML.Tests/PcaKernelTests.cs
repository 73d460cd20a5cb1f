using System.Globalization;
using Kiln.ML.Data;
using Kiln.ML.Kernels;
using Kiln.ML.Trainers;

namespace Kiln.ML.Tests;

/// <summary>PCA's kernels (panel syrk, row shift and centring, eigen-solver) and its one-pass moments against plain computations.</summary>
public sealed class PcaKernelTests
{
    [Theory]
    [InlineData(1, 0)]
    [InlineData(1, 1)]
    [InlineData(2, 7)]
    [InlineData(3, 9)]
    [InlineData(2, 255)]
    [InlineData(7, 256)]
    public void Upper_WideAndNarrow_MatchScalarAndPlainSums(int panels, int rows)
    {
        const int stride = 256 * 8;
        var packed = TestData.Gaussian(panels, stride, 5).Data.ToArray();
        var width = panels * 8;
        var fast = new float[width * width];
        var narrow = new float[width * width];
        var scalar = new float[width * width];
        PcaGram.Upper(packed, panels, stride, rows, fast);
        PcaGramNarrow.Upper(packed, panels, stride, rows, narrow);
        PcaGramScalar.Upper(packed, panels, stride, rows, scalar);
        for (var i = 0; i < width; i++)
        {
            for (var j = i / 8 * 8; j < width; j++)
            {
                var plain = 0.0;
                for (var r = 0; r < rows; r++)
                {
                    plain += (double)packed[i / 8 * stride + r * 8 + i % 8] * packed[j / 8 * stride + r * 8 + j % 8];
                }
                Assert.Equal(scalar[i * width + j], fast[i * width + j], 1e-4f * (rows + 1));
                Assert.Equal(scalar[i * width + j], narrow[i * width + j]); // the same float sums, rounded alike
                Assert.Equal(plain, scalar[i * width + j], 1e-4 * (rows + 1));
            }
        }
    }

    [Theory]
    [InlineData(8)]
    [InlineData(16)]
    [InlineData(72)]
    public void ShiftIntoPanels_WideAndNarrow_MatchScalar_ZeroForNaN(int width)
    {
        var x = TestData.Gaussian(1, width, 6).Data.ToArray();
        var shift = TestData.Gaussian(1, width, 7).Data.ToArray();
        var fast = new float[width / 8 * 24];
        var narrow = new float[width / 8 * 24];
        var scalar = new float[width / 8 * 24];
        Assert.False(PcaGram.ShiftIntoPanels(x, shift, fast, 24, 1));
        Assert.False(PcaGramNarrow.ShiftIntoPanels(x, shift, narrow, 24, 1));
        x[width - 3] = float.NaN;
        Assert.True(PcaGram.ShiftIntoPanels(x, shift, fast, 24, 2));
        Assert.True(PcaGramNarrow.ShiftIntoPanels(x, shift, narrow, 24, 2));
        Assert.True(PcaGramScalar.ShiftIntoPanels(x, shift, scalar, 24, 2));
        for (var j = 0; j < width; j++)
        {
            var at = j / 8 * 24 + 16 + j % 8;
            Assert.Equal(j == width - 3 ? 0f : x[j] - shift[j], fast[at]);
            Assert.Equal(scalar[at], fast[at]);
            Assert.Equal(scalar[at], narrow[at]);
        }
        Assert.Equal(fast, narrow);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(1023)]
    public void CenterFilled_MatchesScalar(int n)
    {
        var x = TestData.Gaussian(1, n, 8).Data.ToArray();
        for (var j = 0; j < n; j += 3)
        {
            x[j] = float.NaN;
        }
        var fill = TestData.Gaussian(1, n, 9).Data.ToArray();
        var mean = TestData.Gaussian(1, n, 10).Data.ToArray();
        var fast = new float[n];
        var scalar = new float[n];
        PcaGram.CenterFilled(x, fill, mean, fast);
        PcaGramScalar.CenterFilled(x, fill, mean, scalar);
        Assert.Equal(scalar, fast);
        for (var j = 0; j < n; j++)
        {
            Assert.Equal((j % 3 == 0 ? fill[j] : x[j]) - mean[j], fast[j]);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(13)]
    [InlineData(54)]
    public void Decompose_GivesOrthonormalEigenvectorsInDescendingOrder(int n)
    {
        var g = TestData.Gaussian(n + 3, n, 11);
        var a = new double[n * n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                for (var r = 0; r < g.Rows; r++)
                {
                    a[i * n + j] += (double)g[r, i] * g[r, j];
                }
            }
        }
        var (values, vectors) = SymmetricEigen.Decompose(a, n);
        for (var c = 0; c < n; c++)
        {
            if (c > 0)
            {
                Assert.True(values[c] <= values[c - 1]);
            }
            for (var i = 0; i < n; i++)
            {
                var av = 0.0;
                for (var j = 0; j < n; j++)
                {
                    av += a[i * n + j] * vectors[c * n + j];
                }
                Assert.Equal(values[c] * vectors[c * n + i], av, 1e-9 * (1 + Math.Abs(values[0])));
            }
            for (var e = 0; e < n; e++)
            {
                var dot = 0.0;
                for (var j = 0; j < n; j++)
                {
                    dot += vectors[c * n + j] * vectors[e * n + j];
                }
                Assert.Equal(c == e ? 1 : 0, dot, 1e-10);
            }
        }
    }

    [Fact]
    public void Decompose_RepeatedAndZeroEigenvalues()
    {
        var a = new double[] { 2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5 };
        var (values, _) = SymmetricEigen.Decompose(a, 4);
        Assert.Equal([5.0, 2.0, 2.0, 0.0], values.Select(v => Math.Round(v, 12)).ToArray());
    }

    /// <summary>The one-pass moments, with missing values and rows split over accumulators, against mean-imputation then a two-pass covariance. rows = 1000 takes the narrow (Vector128) kernels, -1 (unknown) the wide ones.</summary>
    [Theory]
    [InlineData(true, 1, 1000)]
    [InlineData(true, 3, 1000)]
    [InlineData(true, 2, -1)]
    [InlineData(false, 2, 1000)]
    [InlineData(false, 3, -1)]
    public void Moments_EqualTwoPassCovarianceOfImputedRows(bool subtractMean, int parts, long rows)
    {
        const int n = 1000, d = 11;
        var x = TestData.Gaussian(n, d, 12);
        var rng = new Random(13);
        for (var i = 0; i < n; i++)
        {
            x[i, 0] = x[i, 0] * 3 + 1000; // a large offset against the spread: the shift must absorb it
            x[i, 4] += 0.5f * x[i, 0];
            if (rng.Next(10) == 0)
            {
                x[i, 2] = float.NaN;
            }
            if (rng.Next(7) == 0)
            {
                x[i, 4] = float.NaN;
            }
            if (i > 600)
            {
                x[i, 9] = float.NaN; // missing from a whole range of rows, so some blocks lack it entirely
            }
        }
        var mean = new double[d];
        for (var j = 0; j < d; j++)
        {
            var present = Enumerable.Range(0, n).Select(i => (double)x[i, j]).Where(v => !double.IsNaN(v)).ToArray();
            mean[j] = present.Average();
        }
        var expected = new double[d * d];
        for (var i = 0; i < n; i++)
        {
            for (var a = 0; a < d; a++)
            {
                for (var b = 0; b < d; b++)
                {
                    var ca = float.IsNaN(x[i, a]) ? 0 : x[i, a] - mean[a];
                    var cb = float.IsNaN(x[i, b]) ? 0 : x[i, b] - mean[b];
                    expected[a * d + b] += (subtractMean ? ca * cb : (ca + mean[a]) * (cb + mean[b])) / n;
                }
            }
        }
        var shift = PcaMoments.FirstRowsMean(x);
        var accumulators = new PcaMoments[parts];
        for (var p = 0; p < parts; p++)
        {
            var (start, end) = PcaTrainer.Range(n, p, parts);
            accumulators[p] = new PcaMoments(shift, rows);
            accumulators[p].Add(x, start, end - start);
            accumulators[p].Flush();
            if (p > 0)
            {
                accumulators[0].Merge(accumulators[p]);
            }
        }
        var (m, cov) = accumulators[0].Result(subtractMean);
        Assert.Equal(n, accumulators[0].Rows);
        for (var a = 0; a < d; a++)
        {
            Assert.Equal(mean[a], m[a], 1e-4 * (1 + Math.Abs(mean[a])));
            for (var b = 0; b < d; b++)
            {
                var scale = Math.Sqrt(Math.Abs(expected[a * d + a] * expected[b * d + b]));
                Assert.Equal(expected[a * d + b], cov[a * d + b], 1e-5 * scale);
            }
        }
    }

    /// <summary>
    /// The narrow path (ShiftRow, its column sums kept row by row) against the wide one (a copy of the
    /// row, PcaGram.ShiftIntoPanels and the column sums taken at the flush), bit for bit: small integers
    /// with an integer shift make every product and sum exact in float, so FMA or not, both must give the
    /// same doubles. Awkward widths (1, 7, 8, 9, 17 features), partial blocks, missing values.
    /// </summary>
    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 255)]
    [InlineData(8, 256)]
    [InlineData(9, 257)]
    [InlineData(17, 700)]
    public void Moments_NarrowRowPath_EqualsWidePath_OnExactData(int d, int n)
    {
        var rng = new Random(d * 1000 + n);
        var x = new DenseMatrix(n, d);
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < d; j++)
            {
                x[i, j] = rng.Next(9) == 0 ? float.NaN : rng.Next(-8, 9);
            }
        }
        var shift = new float[d];
        for (var j = 0; j < d; j++)
        {
            shift[j] = rng.Next(-2, 3);
        }
        foreach (var subtractMean in new[] { true, false })
        {
            var narrow = new PcaMoments(shift, n);
            var wide = new PcaMoments(shift, -1);
            narrow.Add(x, 0, n);
            wide.Add(x, 0, n);
            narrow.Flush();
            wide.Flush();
            var (narrowMean, narrowCov) = narrow.Result(subtractMean);
            var (wideMean, wideCov) = wide.Result(subtractMean);
            Assert.Equal(wideMean, narrowMean);
            Assert.Equal(wideCov, narrowCov);
        }
    }

    /// <summary>The progress line's ratio against "G6": random magnitudes, sixth-digit halves and nines, the range's ends.</summary>
    [Fact]
    public void ExplainedLine_IsTheInterpolatedText()
    {
        var rng = new Random(21);
        var values = new List<double> { 0, -0.0, 1, 0.1, 0.5, 1e-4, 9.99999e-5, 1e-5, 99999.95, 1e5, 0.9994468221422028, 0.9999995,
            0.99999949999, 0.99999950001, 0.1234565, 0.00012345649999, double.NaN, double.PositiveInfinity, -0.5, 123456.7, 1.015625 };
        for (var i = 0; i < 300_000; i++)
        {
            var x = Math.Pow(10, rng.NextDouble() * 10 - 5);
            values.Add(x);
            // A sixth significant digit followed by exactly 5 (up to binary rounding), and by 4999… and 5000….
            var e = Math.Floor(Math.Log10(x)) - 5;
            var half = (Math.Floor(x / Math.Pow(10, e)) + 0.5) * Math.Pow(10, e);
            values.Add(half);
            values.Add(Math.BitIncrement(half));
            values.Add(Math.BitDecrement(half));
        }
        var fast = 0;
        foreach (var x in values)
        {
            Assert.Equal($"explained variance ratio of 3 components: {x:G6}", PcaTrainer.ExplainedLine(3, x));
            if (PcaTrainer.G6(x) is { } text)
            {
                fast++;
                Assert.Equal(x.ToString("G6", CultureInfo.InvariantCulture), text);
            }
        }
        Assert.True(fast > 200_000);
        foreach (var k in new[] { 1, 9, 10, 54, 999, 123456 })
        {
            Assert.Equal($"explained variance ratio of {k} components: {0.25:G6}", PcaTrainer.ExplainedLine(k, 0.25));
        }
    }

    /// <summary>num_components as plain digits (read without double.TryParse) and as the other integral texts SageMaker sends.</summary>
    [Theory]
    [InlineData("3", 3)]
    [InlineData("03", 3)]
    [InlineData(" 12 ", 12)]
    [InlineData("3.0", 3)]
    [InlineData("1e1", 10)]
    [InlineData("+4", 4)]
    [InlineData("3.5", -1)]
    [InlineData("-3", -1)]
    [InlineData("3x", -1)]
    [InlineData("", -1)]
    [InlineData("1234567890123", -1)]
    public void NumComponents_IntegerTexts(string text, int expected)
    {
        var x = TestData.Gaussian(50, 20, 3);
        IModel Train() => new PcaTrainer().Train(new Dataset(x, null, "t"), null, TestData.Hp(("num_components", text)), TestData.Context);
        if (expected < 0)
        {
            Assert.Throws<HyperparameterException>(Train);
            return;
        }
        Assert.Equal(expected, ((PcaModel)Train()).K);
    }

    [Theory]
    [InlineData(3, 5)]
    [InlineData(9, 1000)]
    public void Predict_CsvResponse_ParsesBackToTheProjection(int k, int rows)
    {
        var x = TestData.Gaussian(rows, 2 * k + 300, 14);
        var model = (PcaModel)new PcaTrainer().Train(new Dataset(x, null, "t"), null,
            TestData.Hp(("num_components", k.ToString(CultureInfo.InvariantCulture))), TestData.Context);
        x[0, 1] = float.NaN;
        var z = model.Project(x, 2);
        var output = new StringWriter();
        model.WriteResponse(x, "text/csv", output, 2);
        var lines = output.ToString().Split('\n');
        Assert.Equal(rows + 1, lines.Length);
        Assert.Equal("", lines[^1]);
        for (var i = 0; i < rows; i++)
        {
            var values = lines[i].Split(',').Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            Assert.Equal(z.AsSpan(i * k, k).ToArray(), values);
        }
        // The vector path (this many rows × features × components) and the scalar one agree.
        for (var c = 0; c < k; c++)
        {
            var expected = 0.0;
            for (var j = 0; j < x.Cols; j++)
            {
                var v = float.IsNaN(x[0, j]) ? model.ColumnMeans[j] : x[0, j];
                expected += (v - model.ColumnMeans[j]) * model.Components[c * x.Cols + j];
            }
            Assert.Equal(expected, z[c], 1e-4);
        }
    }
}
