namespace Kiln.ML.Data;

/// <summary>
/// Malformed input. The message starts with <c>file:line:column</c> (1-based; 0 when not known) so
/// a user can jump to the bad cell, as compilers do.
/// </summary>
public sealed class DataFormatException(string file, long line, int column, string reason)
    : Exception($"{file}:{line}:{column}: {reason}")
{
    public string File { get; } = file;

    public long Line { get; } = line;

    public int Column { get; } = column;

    public string Reason { get; } = reason;
}
