using System.Formats.Tar;
using System.IO.Compression;

namespace Kiln.ML.Artifacts;

/// <summary>
/// model.tar.gz as SageMaker writes it: a gzip-compressed tar of the files the training job left
/// in /opt/ml/model, at the archive root.
/// </summary>
public static class ModelArchive
{
    public const string FileName = "model.tar.gz";

    /// <summary>Packs every file of <paramref name="modelDirectory"/> into <paramref name="archivePath"/>, atomically.</summary>
    public static void Pack(string modelDirectory, string archivePath)
    {
        var temp = archivePath + ".tmp";
        using (var file = File.Create(temp))
        // Fastest (zlib level 1): a k-NN model holds its whole training sample, and at Optimal the gzip
        // step cost more CPU than training itself on adult-income (perf: 24 % of `kiln ml train`).
        using (var gzip = new GZipStream(file, CompressionLevel.Fastest))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax))
        {
            foreach (var path in Directory.GetFiles(modelDirectory).Order(StringComparer.Ordinal))
            {
                tar.WriteEntry(path, Path.GetFileName(path));
            }
        }
        File.Move(temp, archivePath, overwrite: true);
    }

    /// <summary>Extracts an archive into <paramref name="directory"/>, refusing entries that would escape it.</summary>
    public static void Unpack(string archivePath, string directory)
    {
        using var file = File.OpenRead(archivePath);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var tar = new TarReader(gzip);
        var root = Path.GetFullPath(directory) + Path.DirectorySeparatorChar;
        while (tar.GetNextEntry() is { } entry)
        {
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile))
            {
                continue;
            }
            var target = Path.GetFullPath(Path.Combine(directory, entry.Name));
            if (!target.StartsWith(root, StringComparison.Ordinal))
            {
                throw new InvalidDataException($"archive entry '{entry.Name}' points outside the model directory");
            }
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            entry.ExtractToFile(target, overwrite: true);
        }
    }
}
