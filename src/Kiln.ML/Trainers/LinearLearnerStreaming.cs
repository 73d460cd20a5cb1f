using Kiln.ML.Data;

namespace Kiln.ML.Trainers;

/// <summary>
/// Linear Learner out of core: the same optimizers, loss and model selection as the in-memory path,
/// fed from the file once per epoch. A first pass gathers the column and label statistics
/// (normalize_data, normalize_label, balanced weights) and checks every label; each epoch then
/// reads windows of rows, standardizes and shuffles them in place, and steps every model through
/// the window's mini-batches. Memory is one window plus one read buffer, whatever the file size:
/// the closing metrics are summed batch by batch (<see cref="Evaluation"/>); only a binary
/// classifier keeps each evaluation row's score and label (8 bytes a row), which the threshold sweep
/// and ROC AUC need all at once.
/// </summary>
public sealed partial class LinearLearnerTrainer
{
    /// <summary>
    /// Rows shuffled together. SGD needs batches that look like the whole data; a file sorted by
    /// label would otherwise hand it one class per batch. 32768 rows is 4 MiB per 32 features.
    /// </summary>
    private const int ShuffleRows = 32768;

    public IModel Train(BatchSource train, BatchSource? validation, Hyperparameters hp, TrainingContext context)
    {
        var d = train.FeatureCount;
        var s = Parse(hp, d);
        hp.RejectUnknown(Name);
        if (!train.HasLabel)
        {
            throw new DataFormatException(train.Source, 0, 0, "this algorithm needs labels (first CSV column)");
        }
        var window = Math.Max(s.BatchSize, ShuffleRows);
        var moments = new ColumnMoments(d);
        double labelSum = 0, labelSumSq = 0;
        long positives = 0;
        foreach (var batch in train.Batches(window))
        {
            CheckLabels(batch.Labels!, batch.Source, moments.Rows, s);
            moments.Add(batch.Features);
            foreach (var v in batch.Labels!)
            {
                labelSum += v;
                labelSumSq += (double)v * v;
                positives += v == 1f ? 1 : 0;
            }
        }
        long validationRows = 0;
        double validationLabelSum = 0;
        if (validation is not null)
        {
            foreach (var batch in validation.Batches(window))
            {
                CheckLabels(batch.RequireLabels(), batch.Source, validationRows, s);
                validationRows += batch.Rows;
                validationLabelSum += Sum(batch.RequireLabels());
            }
        }
        var rows = moments.Rows;
        var (mean, scale) = moments.MeanAndScale();
        if (!s.NormalizeData)
        {
            Array.Fill(scale, 1f);
        }
        var stats = new ColumnStats { Mean = mean, Scale = scale };
        var (labelMean, labelScale) = s.NormalizeLabel ? LabelStats(labelSum, labelSumSq, rows) : (0f, 1f);
        var outputs = Outputs(s);
        var models = new ParallelModels(s, d, outputs, rows);
        var positiveWeight = PositiveWeight(s, rows, positives);
        var watch = new EpochWatch(models, s, onValidation: validation is not null, context);
        var groups = models.Groups(context.Threads);
        var workspaces = models.NewWorkspaces(groups);
        var rng = new SubtractiveRandom(context.Seed);
        var x = new DenseMatrix(window, d);
        var y = new float[window];
        var order = new int[window];
        for (var epoch = 0; epoch < s.Epochs; epoch++)
        {
            var trainLoss = new double[models.Count];
            foreach (var batch in train.Batches(window))
            {
                var n = batch.Rows;
                var xs = Standardize(batch, stats, x, y, labelMean, labelScale, context);
                rng.Permute(order.AsSpan(0, n));
                ForEachGroup(groups, context, g =>
                {
                    var (first, end) = models.Group(g, groups);
                    for (var start = 0; start < n; start += s.BatchSize)
                    {
                        models.Step(first, end, xs, y, order.AsSpan(start, Math.Min(s.BatchSize, n - start)), positiveWeight, trainLoss,
                            workspaces[g]);
                    }
                });
            }
            var watched = new double[models.Count];
            if (validation is not null)
            {
                foreach (var batch in validation.Batches(window))
                {
                    var xs = Standardize(batch, stats, x, y, labelMean, labelScale, context);
                    ForEachGroup(groups, context, g =>
                    {
                        var (first, end) = models.Group(g, groups);
                        models.AddLosses(first, end, xs, y, positiveWeight, watched, workspaces[g]);
                    });
                }
                for (var m = 0; m < models.Count; m++)
                {
                    watched[m] /= validationRows;
                }
            }
            for (var m = 0; m < models.Count; m++)
            {
                trainLoss[m] /= rows;
                watch.Offer(m, validation is null ? trainLoss[m] : watched[m]);
            }
            if (watch.EndEpoch(epoch, trainLoss[0]))
            {
                break;
            }
        }
        return Finish(s, d, outputs, watch.Best, stats, labelMean, labelScale,
            validation is null ? rows : validationRows, validation is null ? labelSum : validationLabelSum,
            (model, evaluation) =>
            {
                foreach (var batch in (validation ?? train).Batches(window))
                {
                    evaluation.Add(model.Scores(batch.Features, context.Threads), batch.RequireLabels());
                }
            },
            validation is null ? "train" : "validation");
    }

    /// <summary>
    /// Writes the batch, missing values filled and standardized, into the window buffers; the label
    /// is centred and scaled by the label statistics. Returns a view of the batch's rows.
    /// </summary>
    private static DenseMatrix Standardize(Dataset batch, ColumnStats stats, DenseMatrix x, float[] y, float mean, float scale,
        TrainingContext context)
    {
        var rows = batch.Features;
        var view = new DenseMatrix(x.Array, rows.Rows, rows.Cols);
        Parallel.For(0, (rows.Rows + 4095) / 4096, context.Parallel, block =>
        {
            var end = Math.Min(rows.Rows, (block + 1) * 4096);
            for (var i = block * 4096; i < end; i++)
            {
                stats.ApplyRow(rows.Row(i), view.Row(i), standardize: true);
            }
        });
        var labels = batch.RequireLabels();
        for (var i = 0; i < labels.Length; i++)
        {
            y[i] = (labels[i] - mean) / scale;
        }
        return view;
    }
}
