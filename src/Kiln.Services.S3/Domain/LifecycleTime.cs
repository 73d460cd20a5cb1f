using System.Globalization;

namespace Kiln.Services.S3.Domain;

/// <summary>The length of a lifecycle and restore "day" (DESIGN.md, Time). Rules measured in days
/// (expire after 30 days, restore for 7 days, a Bulk retrieval of 12 hours) are measured in this
/// unit, so a demo or a test can watch a 30-day rule act in seconds with <c>--day-seconds 1</c>.
/// The clock itself stays <see cref="Kiln.Core.IClock"/>; only the unit changes.</summary>
public sealed record LifecycleTime
{
    /// <summary>Environment variable that sets the day length when <c>--day-seconds</c> is not given.</summary>
    public const string DaySecondsVariable = "KILN_DAY_SECONDS";

    public static readonly LifecycleTime Real = new(TimeSpan.FromDays(1));

    public LifecycleTime(TimeSpan day)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(day, TimeSpan.Zero);
        Day = day;
    }

    public TimeSpan Day { get; }

    /// <exception cref="InvalidOperationException">Not a positive number of seconds (the CLI prints it).</exception>
    public static LifecycleTime FromSeconds(double seconds) => double.IsFinite(seconds) && seconds >= 0.001
        ? new(TimeSpan.FromSeconds(seconds))
        : throw new InvalidOperationException(
            $"The day length (--day-seconds or {DaySecondsVariable}) must be at least 0.001 seconds, not {seconds}.");

    /// <summary>The day length from <see cref="DaySecondsVariable"/>, else 86400 seconds.</summary>
    public static double DaySecondsFromEnvironment() =>
        double.TryParse(Environment.GetEnvironmentVariable(DaySecondsVariable), NumberStyles.Float,
            CultureInfo.InvariantCulture, out var s) && s > 0 ? s : 86400;

    /// <summary>A span of <paramref name="days"/> days (fractions allowed: 5 hours is 5/24).</summary>
    public TimeSpan Days(double days) => TimeSpan.FromTicks((long)(Day.Ticks * days));

    public TimeSpan Hours(double hours) => Days(hours / 24);

    /// <summary>S3 rounds lifecycle due times up to the next midnight UTC ("Lifecycle rules: based on
    /// an object's age"); with a scaled day, midnight is the next multiple of the day since the epoch.</summary>
    public DateTimeOffset NextMidnight(DateTimeOffset at)
    {
        var ticks = (at.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks);
        var rem = ticks % Day.Ticks;
        return rem == 0 ? at.ToUniversalTime() : at.ToUniversalTime().AddTicks(Day.Ticks - rem);
    }

    /// <summary>When an action set for <paramref name="days"/> days after <paramref name="start"/> is due.</summary>
    public DateTimeOffset DueAt(DateTimeOffset start, int days) => NextMidnight(start + Days(days));
}
