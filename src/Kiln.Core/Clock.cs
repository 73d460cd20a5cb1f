namespace Kiln.Core;

/// <summary>The one clock all code reads (DESIGN.md, Time), so tests and demos can move time.</summary>
public interface IClock
{
    DateTimeOffset UtcNow { get; }
}

public sealed class SystemClock : IClock
{
    public static readonly SystemClock Instance = new();

    public DateTimeOffset UtcNow => DateTimeOffset.UtcNow;
}
