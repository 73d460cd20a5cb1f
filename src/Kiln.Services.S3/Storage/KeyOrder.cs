namespace Kiln.Services.S3.Storage;

/// <summary>S3 lists keys in UTF-8 byte order, which is what SQLite's BINARY collation compares.
/// UTF-16 ordinal order differs only where a surrogate pair meets U+E000..U+FFFF, fixed up here so
/// the in-memory store orders exactly as the durable one.</summary>
public sealed class KeyOrder : IComparer<string>
{
    public static readonly KeyOrder Instance = new();

    public static int Compare(string? a, string? b)
    {
        if (ReferenceEquals(a, b))
        {
            return 0;
        }

        if (a is null)
        {
            return -1;
        }

        if (b is null)
        {
            return 1;
        }

        var n = Math.Min(a.Length, b.Length);
        for (var i = 0; i < n; i++)
        {
            if (a[i] != b[i])
            {
                return Fix(a[i]) - Fix(b[i]);
            }
        }

        return a.Length - b.Length;
    }

    int IComparer<string>.Compare(string? x, string? y) => Compare(x, y);

    private static int Fix(char c) => c >= 0xE000 ? c - 0x800 : c >= 0xD800 ? c + 0x2000 : c;
}
