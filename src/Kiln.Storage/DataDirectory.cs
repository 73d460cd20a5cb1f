namespace Kiln.Storage;

/// <summary>The one folder that holds all of Kiln's state (DESIGN.md, State). Deleting it resets Kiln.</summary>
public sealed class DataDirectory
{
    public DataDirectory(string path)
    {
        Root = Path.GetFullPath(path);
    }

    public string Root { get; }
    public string MetadataDatabase => Path.Combine(Root, "metadata.db");
    public string MasterKeyFile => Path.Combine(Root, "master.key");
    public string RootCredentialsFile => Path.Combine(Root, "root-credentials");
    public string AuditDirectory => Path.Combine(Root, "audit");

    /// <summary>Creates the folder (owner-only) when it is missing.</summary>
    public void Ensure()
    {
        if (Directory.Exists(Root))
        {
            return;
        }

        Directory.CreateDirectory(Root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    /// <summary>Writes a small file owner-only, durably: temp file, fsync, rename. Never overwrites.</summary>
    /// <returns>false when the file already exists.</returns>
    public static bool WriteSecretFileOnce(string path, ReadOnlySpan<byte> content)
    {
        if (File.Exists(path))
        {
            return false;
        }

        var temp = path + ".tmp-" + Environment.ProcessId;
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        };

        try
        {
            using (var stream = new FileStream(temp, options))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }

            // Without overwrite the rename fails if another process made the file first: first writer wins.
            try
            {
                File.Move(temp, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                return false;
            }

            return true;
        }
        finally
        {
            File.Delete(temp);
        }
    }
}
