namespace Kiln.Services.Sts.Domain;

/// <summary>How long a temporary credential lives, as a multiple of the duration asked for
/// (DESIGN.md, Time: durations have configurable units). 1 is AWS; 0.01 makes a 900 s session
/// expire in 9 s, so a test or a demo can watch ExpiredToken happen. `kiln serve
/// --session-time-scale F`, env KILN_SESSION_TIME_SCALE.</summary>
public sealed record SessionTime(double Scale)
{
    public static readonly SessionTime Real = new(1);

    public TimeSpan Of(int seconds) => TimeSpan.FromSeconds(seconds * Scale);

    /// <summary>KILN_SESSION_TIME_SCALE when it is a positive number, else 1.</summary>
    public static double ScaleFromEnvironment() =>
        double.TryParse(Environment.GetEnvironmentVariable("KILN_SESSION_TIME_SCALE"),
            System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var scale)
        && double.IsFinite(scale) && scale > 0
            ? scale
            : 1;
}
