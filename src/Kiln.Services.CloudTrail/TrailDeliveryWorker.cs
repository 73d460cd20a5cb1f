using System.Globalization;
using Kiln.Services.CloudTrail.Domain;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kiln.Services.CloudTrail;

/// <summary>How often trails deliver. CloudTrail "typically delivers log files within an average of
/// about 5 minutes of an API call"; a demo or a test shortens it (DESIGN.md, Time).</summary>
public sealed record TrailDeliveryOptions
{
    /// <summary>Sets the delivery interval in seconds (default 300).</summary>
    public const string IntervalVariable = "KILN_CLOUDTRAIL_DELIVERY_SECONDS";

    public TimeSpan Interval { get; init; } = TimeSpan.FromMinutes(5);

    public static double SecondsFromEnvironment() =>
        double.TryParse(Environment.GetEnvironmentVariable(IntervalVariable), NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s > 0
            ? s
            : 300;

    public static TrailDeliveryOptions FromSeconds(double seconds) =>
        seconds is > 0 and < double.PositiveInfinity
            ? new TrailDeliveryOptions { Interval = TimeSpan.FromSeconds(Math.Max(seconds, 0.1)) }
            : throw new ArgumentOutOfRangeException(nameof(seconds), seconds,
                $"The CloudTrail delivery interval ({IntervalVariable}) must be a positive number of seconds.");
}

/// <summary>Runs a <see cref="TrailDelivery"/> pass every interval, and one last pass on shutdown
/// so a clean stop loses nothing already recorded.</summary>
public sealed class TrailDeliveryWorker(TrailDelivery delivery, TrailDeliveryOptions options, ILogger<TrailDeliveryWorker> log)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                await PassAsync(stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        using var last = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await PassAsync(last.Token).ConfigureAwait(false);
    }

    private async Task PassAsync(CancellationToken cancellationToken)
    {
        try
        {
            await delivery.DeliverAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // One failed pass must not end delivery; the next pass retries from the same cursors.
            log.LogError(e, "CloudTrail delivery pass failed");
        }
    }
}
