using System.IO.Compression;

namespace Kiln.ML.Data;

internal static class InputFile
{
    /// <summary>
    /// Opens a file for reading, unwrapping gzip when the file starts with the gzip magic bytes:
    /// SageMaker channels may hold compressed objects whatever their name, so the name is not trusted.
    /// </summary>
    public static Stream Open(string path)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        Span<byte> magic = stackalloc byte[2];
        var n = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        file.Position = 0;
        if (n == 2 && magic[0] == 0x1f && magic[1] == 0x8b)
        {
            return new BufferedStream(new GZipStream(file, CompressionMode.Decompress), 1 << 16);
        }
        return file;
    }
}
