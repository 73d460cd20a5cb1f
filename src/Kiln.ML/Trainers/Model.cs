using Kiln.ML.Data;

namespace Kiln.ML.Trainers;

/// <summary>What a trainer needs besides data: a thread budget and somewhere to report progress.</summary>
public sealed class TrainingContext
{
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>One line per epoch or round, e.g. "epoch 3: train_loss=0.31 validation_loss=0.33".</summary>
    public Action<string> Progress { get; init; } = _ => { };

    /// <summary>A fixed seed makes training reproducible; SageMaker exposes none for most built-ins.</summary>
    public int Seed { get; init; } = 1;

    internal ParallelOptions Parallel => new() { MaxDegreeOfParallelism = Math.Max(1, Threads) };
}

/// <summary>A trained model: immutable, saved into a model.tar.gz, and able to answer inference requests.</summary>
public interface IModel
{
    /// <summary>SageMaker's algorithm name, e.g. "linear-learner".</summary>
    string Algorithm { get; }

    /// <summary>Final metrics, e.g. validation:rmse, for the closing JSON line of a training run.</summary>
    IReadOnlyDictionary<string, double> Metrics { get; }

    /// <summary>Writes the model's files (the contents of model.tar.gz) into <paramref name="directory"/>.</summary>
    void Save(string directory);

    /// <summary>
    /// Writes SageMaker's inference response for every row of <paramref name="features"/> in the
    /// <paramref name="accept"/> format (application/json, application/jsonlines or text/csv).
    /// </summary>
    void WriteResponse(DenseMatrix features, string accept, TextWriter output, int threads);
}

/// <summary>A model that answers sparse rows (text/libsvm) without densifying them first.</summary>
public interface ISparseModel
{
    void WriteResponse(SparseMatrix features, string accept, TextWriter output, int threads);
}

/// <summary>One of SageMaker's built-in algorithms.</summary>
public interface ITrainer
{
    string Algorithm { get; }

    IModel Train(Dataset train, Dataset? validation, Hyperparameters hyperparameters, TrainingContext context);
}
