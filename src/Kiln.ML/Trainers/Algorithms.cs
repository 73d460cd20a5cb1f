using Kiln.ML.Artifacts;
using Kiln.ML.Data;
using Kiln.ML.Trainers.XGBoost;

namespace Kiln.ML.Trainers;

/// <summary>The built-in algorithms by SageMaker name, and the loader for their artifacts.</summary>
public static class Algorithms
{
    public static readonly IReadOnlyList<ITrainer> All =
        [new XGBoostTrainer(), new LinearLearnerTrainer(), new KMeansTrainer(), new PcaTrainer(), new KnnTrainer(),
            new RandomCutForestTrainer(), new FactorizationMachinesTrainer()];

    public static ITrainer Get(string name) =>
        All.FirstOrDefault(t => t.Algorithm == name)
        ?? throw new ArgumentException($"unknown algorithm '{name}'; available: {string.Join(", ", All.Select(t => t.Algorithm))}");

    /// <summary>Writes the model's files and packs them into <paramref name="outputDirectory"/>/model.tar.gz.</summary>
    public static string SaveArchive(IModel model, string outputDirectory)
    {
        Directory.CreateDirectory(outputDirectory);
        var staging = Directory.CreateTempSubdirectory("kiln-model-");
        try
        {
            model.Save(staging.FullName);
            var archive = Path.Combine(outputDirectory, ModelArchive.FileName);
            ModelArchive.Pack(staging.FullName, archive);
            return archive;
        }
        finally
        {
            staging.Delete(recursive: true);
        }
    }

    /// <summary>Loads a model.tar.gz written by any of the algorithms (or by SageMaker's XGBoost).</summary>
    public static IModel LoadArchive(string archivePath)
    {
        var staging = Directory.CreateTempSubdirectory("kiln-model-");
        try
        {
            ModelArchive.Unpack(archivePath, staging.FullName);
            var xgb = Path.Combine(staging.FullName, XGBoostModel.FileName);
            if (File.Exists(xgb))
            {
                return XGBoostModel.Load(xgb);
            }
            var path = Path.Combine(staging.FullName, ModelFile.FileName);
            if (!File.Exists(path))
            {
                throw new InvalidDataException($"{archivePath} holds neither {XGBoostModel.FileName} nor {ModelFile.FileName}");
            }
            var (algorithm, reader) = ModelFile.Open(path);
            using (reader)
            {
                return algorithm switch
                {
                    LinearLearnerTrainer.Name => LinearLearnerModel.Read(reader),
                    KMeansTrainer.Name => KMeansModel.Read(reader),
                    PcaTrainer.Name => PcaModel.Read(reader),
                    KnnTrainer.Name => KnnModel.Read(reader),
                    RandomCutForestTrainer.Name => RandomCutForestModel.Read(reader),
                    FactorizationMachinesTrainer.Name => FactorizationMachinesModel.Read(reader),
                    _ => throw new InvalidDataException($"model file is for unknown algorithm '{algorithm}'"),
                };
            }
        }
        finally
        {
            staging.Delete(recursive: true);
        }
    }
}

/// <summary>
/// A trainer that can also learn from a file read batch by batch on every pass (out-of-core), in
/// memory bounded by the batch size rather than the file size.
/// </summary>
public interface IStreamingTrainer : ITrainer
{
    IModel Train(BatchSource train, BatchSource? validation, Hyperparameters hyperparameters, TrainingContext context);
}
