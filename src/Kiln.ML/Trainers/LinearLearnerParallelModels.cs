using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Kiln.ML.Data;
using Kiln.ML.Kernels;

namespace Kiln.ML.Trainers;

public sealed partial class LinearLearnerTrainer
{
    /// <summary>
    /// Multiply-adds of one epoch (rows × features × outputs × num_models) from which training uses
    /// the threads and the Vector256 kernels (<see cref="LinearLearnerWideKernels"/>, compiled at run
    /// time). Below it, california-housing's 16k rows × 8 features × 4 models (0.5 M) trains in a few
    /// milliseconds of arithmetic, less than the thread pool or the JIT would cost; adult-income's
    /// 39k rows × 105 features (16 M) runs 2.4 times slower on the precompiled Vector128 kernels.
    /// </summary>
    private const long ParallelWork = 1L << 22;

    /// <summary>
    /// Rows of a mini-batch taken at a time, so the chunk's features (d × rows floats, column-major)
    /// stay near 64 KiB, in L2, while every model passes over them. A multiple of 8 (one Vector256).
    /// </summary>
    internal static int ChunkRows(int d) => Math.Clamp(16384 / Math.Max(1, d) / 8 * 8, 8, 1024);

    /// <summary>
    /// The num_models models trained side by side, as SageMaker does: their weights are one block (model
    /// m's outputs are rows [m·outputs, (m+1)·outputs) of W, each of d weights), so one pass over a
    /// chunk of a mini-batch computes the outputs, losses and gradients of a whole range of models
    /// (<see cref="LinearLearnerKernels"/>), then each model takes its own optimizer step. A model's
    /// arithmetic does not depend on which models share its range, so the result is the same on any
    /// number of threads.
    /// </summary>
    private sealed class ParallelModels
    {
        private readonly Optimizer[] _optimizers;
        private readonly LinearLoss _loss;
        private readonly float _lossParameter;
        private readonly float[] _gw;
        private readonly float[] _gb;
        private readonly bool _wide;

        public ParallelModels(Settings s, int d, int outputs, long rows)
        {
            Count = s.NumModels;
            Features = d;
            Outputs = outputs;
            W = new float[Count * outputs * d];
            B = new float[Count * outputs];
            _gw = new float[W.Length];
            _gb = new float[B.Length];
            _wide = rows * d * outputs * Count >= ParallelWork;
            var batchesPerEpoch = (int)Math.Min(int.MaxValue, (rows + s.BatchSize - 1) / s.BatchSize);
            _optimizers = new Optimizer[Count];
            for (var m = 0; m < Count; m++)
            {
                _optimizers[m] = new Optimizer(Variant(s, m), outputs * d, outputs, batchesPerEpoch);
            }
            (_loss, _lossParameter) = s.Loss switch
            {
                "squared_loss" => (LinearLoss.Squared, 0f),
                "absolute_loss" => (LinearLoss.Absolute, 0f),
                "huber_loss" => (LinearLoss.Huber, (float)s.HuberDelta),
                "logistic" => (LinearLoss.Logistic, 0f),
                "hinge_loss" => (LinearLoss.Hinge, (float)s.Margin),
                _ => (LinearLoss.Softmax, 0f),
            };
        }

        public int Count { get; }

        public int Features { get; }

        public int Outputs { get; }

        /// <summary>All the weights, num_models × outputs × features.</summary>
        public float[] W { get; }

        public float[] B { get; }

        public Span<float> Weights(int m) => new Span<float>(W, m * Outputs * Features, Outputs * Features);

        public Span<float> Biases(int m) => new Span<float>(B, m * Outputs, Outputs);

        /// <summary>How many threads an epoch is worth (each takes a range of models).</summary>
        public int Groups(int threads) => _wide ? Math.Clamp(threads, 1, Count) : 1;

        /// <summary>Models [First, End) of group g of <paramref name="groups"/>.</summary>
        public (int First, int End) Group(int g, int groups) => (g * Count / groups, (g + 1) * Count / groups);

        /// <summary>One workspace per group (thread).</summary>
        public Workspace[] NewWorkspaces(int groups)
        {
            var workspaces = new Workspace[groups];
            for (var g = 0; g < groups; g++)
            {
                workspaces[g] = new Workspace(Features, Count * Outputs, ChunkRows(Features));
            }
            return workspaces;
        }

        /// <summary>
        /// One mini-batch step of models [first, end) on the rows <paramref name="batch"/> of x; adds each
        /// model's summed loss (before the step) to losses[m].
        /// </summary>
        public void Step(int first, int end, DenseMatrix x, float[] y, ReadOnlySpan<int> batch, float positiveWeight, double[] losses,
            Workspace ws)
        {
            var (wFrom, wLength) = (first * Outputs * Features, (end - first) * Outputs * Features);
            new Span<float>(_gw, wFrom, wLength).Clear();
            new Span<float>(_gb, first * Outputs, (end - first) * Outputs).Clear();
            for (var start = 0; start < batch.Length; start += ws.Chunk)
            {
                var rows = batch.Slice(start, Math.Min(ws.Chunk, batch.Length - start));
                ws.Gather(x, y, rows);
                Pass(first, end, ws, rows.Length, positiveWeight, losses, gradient: true);
            }
            for (var m = first; m < end; m++)
            {
                _optimizers[m].Update(Weights(m), Biases(m), new Span<float>(_gw, m * Outputs * Features, Outputs * Features),
                    new Span<float>(_gb, m * Outputs, Outputs), batch.Length);
            }
        }

        /// <summary>Adds each model's loss summed over every row of x to losses[m], for models [first, end).</summary>
        public void AddLosses(int first, int end, DenseMatrix x, float[] y, float positiveWeight, double[] losses, Workspace ws)
        {
            for (var start = 0; start < x.Rows; start += ws.Chunk)
            {
                var n = Math.Min(ws.Chunk, x.Rows - start);
                ws.Gather(x, y, start, n);
                Pass(first, end, ws, n, positiveWeight, losses, gradient: false);
            }
        }

        /// <summary>Outputs, losses and (if asked) summed gradients of models [first, end) on the chunk in <paramref name="ws"/>.</summary>
        private void Pass(int first, int end, Workspace ws, int n, float positiveWeight, double[] losses, bool gradient)
        {
            var k = Outputs;
            var d = Features;
            var p = (end - first) * k;
            // The kernels' width depends on the data set's size only, never on the thread count, so a
            // model's arithmetic is the same on any number of threads.
            if (_wide)
            {
                LinearLearnerWideKernels.Forward(new Span<float>(W, first * k * d, p * d), new Span<float>(B, first * k, p), p, d, ws.Xt, n, ws.Z);
            }
            else
            {
                LinearLearnerKernels.Forward(new Span<float>(W, first * k * d, p * d), new Span<float>(B, first * k, p), p, d, ws.Xt, n, ws.Z);
            }
            var y = new Span<float>(ws.Y, 0, n);
            for (var m = first; m < end; m++)
            {
                var z = new Span<float>(ws.Z, (m - first) * k * n, k * n);
                var g = new Span<float>(ws.G, (m - first) * k * n, k * n);
                losses[m] += _loss == LinearLoss.Softmax
                    ? LinearLearnerKernels.SoftmaxGradient(z, k, n, y, g)
                    : LinearLearnerKernels.LossGradient(_loss, z, y, g, positiveWeight, _lossParameter);
            }
            if (gradient)
            {
                var gw = new Span<float>(_gw, first * k * d, p * d);
                var gb = new Span<float>(_gb, first * k, p);
                if (_wide)
                {
                    LinearLearnerWideKernels.AccumulateGradient(ws.G, p, n, ws.Xt, d, gw, gb);
                }
                else
                {
                    LinearLearnerKernels.AccumulateGradient(ws.G, p, n, ws.Xt, d, gw, gb);
                }
            }
        }
    }

    /// <summary>One thread's buffers: a chunk of rows column-major, its labels, and the outputs and gradients of every model.</summary>
    private sealed class Workspace(int d, int p, int chunk)
    {
        public int Chunk { get; } = chunk;

        public float[] Xt { get; } = new float[d * chunk];

        public float[] Y { get; } = new float[chunk];

        public float[] Z { get; } = new float[p * chunk];

        public float[] G { get; } = new float[p * chunk];

        /// <summary>Rows <paramref name="rows"/> of x, transposed into <see cref="Xt"/> (feature-major), and their labels.</summary>
        public void Gather(DenseMatrix x, float[] y, ReadOnlySpan<int> rows)
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThan(rows.Length, Chunk);
            foreach (var r in rows)
            {
                // Checked once here, so the transposition below can go without bounds checks.
                if ((uint)r >= (uint)x.Rows)
                {
                    throw new ArgumentOutOfRangeException(nameof(rows));
                }
            }
            for (var i = 0; i < rows.Length; i++)
            {
                Y[i] = y[rows[i]];
            }
            Transpose(x, rows, Xt);
        }

        /// <summary>Rows [start, start + n) of x, transposed, and their labels.</summary>
        public void Gather(DenseMatrix x, float[] y, int start, int n)
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThan(n, Chunk);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(start + n, x.Rows);
            new Span<float>(y, start, n).CopyTo(Y);
            Span<int> rows = stackalloc int[n];
            for (var i = 0; i < n; i++)
            {
                rows[i] = start + i;
            }
            Transpose(x, rows, Xt);
        }

        /// <summary>
        /// xt[j·n + i] = x[rows[i], j] (n = rows.Length; every row index already checked). Eight rows
        /// at a time, so each feature's column receives 32 contiguous bytes rather than one float per
        /// cache line: with 105 features (adult-income) the one-float-at-a-time version was most of
        /// an epoch.
        /// </summary>
        private static void Transpose(DenseMatrix x, ReadOnlySpan<int> rows, float[] xt)
        {
            var n = rows.Length;
            var d = x.Cols;
            ref var source = ref MemoryMarshal.GetArrayDataReference(x.Array);
            ref var target = ref MemoryMarshal.GetArrayDataReference(xt);
            var i = 0;
            for (; i <= n - 8; i += 8)
            {
                ref var r0 = ref Unsafe.Add(ref source, (nint)rows[i] * d);
                ref var r1 = ref Unsafe.Add(ref source, (nint)rows[i + 1] * d);
                ref var r2 = ref Unsafe.Add(ref source, (nint)rows[i + 2] * d);
                ref var r3 = ref Unsafe.Add(ref source, (nint)rows[i + 3] * d);
                ref var r4 = ref Unsafe.Add(ref source, (nint)rows[i + 4] * d);
                ref var r5 = ref Unsafe.Add(ref source, (nint)rows[i + 5] * d);
                ref var r6 = ref Unsafe.Add(ref source, (nint)rows[i + 6] * d);
                ref var r7 = ref Unsafe.Add(ref source, (nint)rows[i + 7] * d);
                for (var j = 0; j < d; j++)
                {
                    ref var t = ref Unsafe.Add(ref target, j * n + i);
                    t = Unsafe.Add(ref r0, j);
                    Unsafe.Add(ref t, 1) = Unsafe.Add(ref r1, j);
                    Unsafe.Add(ref t, 2) = Unsafe.Add(ref r2, j);
                    Unsafe.Add(ref t, 3) = Unsafe.Add(ref r3, j);
                    Unsafe.Add(ref t, 4) = Unsafe.Add(ref r4, j);
                    Unsafe.Add(ref t, 5) = Unsafe.Add(ref r5, j);
                    Unsafe.Add(ref t, 6) = Unsafe.Add(ref r6, j);
                    Unsafe.Add(ref t, 7) = Unsafe.Add(ref r7, j);
                }
            }
            for (; i < n; i++)
            {
                ref var row = ref Unsafe.Add(ref source, (nint)rows[i] * d);
                for (var j = 0; j < d; j++)
                {
                    Unsafe.Add(ref target, j * n + i) = Unsafe.Add(ref row, j);
                }
            }
        }
    }

    /// <summary>One model's optimizer: its moment estimates and learning-rate schedule.</summary>
    private sealed class Optimizer(Settings s, int weights, int outputs, int batchesPerEpoch)
    {
        // The learning-rate scheduler: lr × lr_scheduler_factor every lr_scheduler_step updates
        // (auto: once per epoch), never below lr_scheduler_minimum_lr.
        private readonly int _decayEvery = s.SchedulerStep > 0 ? s.SchedulerStep : Math.Max(1, batchesPerEpoch);
        private double _lr = s.LearningRate;
        private readonly float[] _mw = new float[weights];
        private readonly float[] _vw = new float[weights];
        private readonly float[] _mb = new float[outputs];
        private readonly float[] _vb = new float[outputs];
        private long _t;

        /// <summary>The update from the gradient summed over a batch of <paramref name="rows"/> rows; wd and l1 apply to the weights, not the biases.</summary>
        public void Update(Span<float> w, Span<float> b, ReadOnlySpan<float> gw, ReadOnlySpan<float> gb, int rows)
        {
            var scale = 1f / rows;
            _t++;
            var lr = (float)_lr;
            if (s.UseScheduler && _t % _decayEvery == 0)
            {
                _lr = Math.Max(s.MinimumLr, _lr * s.SchedulerFactor);
            }
            Apply(w, _mw, _vw, gw, scale, (float)s.Wd, lr);
            if (s.UseBias)
            {
                Apply(b, _mb, _vb, gb, scale, 0, lr);
            }
            if (s.L1 > 0)
            {
                // Proximal step: soft-thresholding keeps exact zeros, which a plain subgradient would not.
                LinearLearnerKernels.SoftThreshold(w, lr * (float)s.L1);
            }
        }

        private void Apply(Span<float> w, Span<float> m, Span<float> v, ReadOnlySpan<float> g, float scale, float wd, float lr)
        {
            switch (s.Optimizer)
            {
                case "sgd":
                    LinearLearnerKernels.Sgd(w, m, g, scale, wd, lr, (float)s.Momentum);
                    break;
                case "rmsprop":
                    LinearLearnerKernels.RmsProp(w, m, v, g, scale, wd, lr, (float)s.Momentum);
                    break;
                default:
                    LinearLearnerKernels.Adam(w, m, v, g, scale, wd, lr, (float)s.Beta1, (float)s.Beta2,
                        (float)(1 - Math.Pow(s.Beta1, _t)), (float)(1 - Math.Pow(s.Beta2, _t)));
                    break;
            }
        }
    }

    /// <summary>Runs body(g) for each of <paramref name="groups"/> groups: inline for one, on the thread pool otherwise.</summary>
    private static void ForEachGroup(int groups, TrainingContext context, Action<int> body)
    {
        if (groups == 1)
        {
            body(0);
            return;
        }
        Parallel.For(0, groups, context.Parallel, body);
    }
}
