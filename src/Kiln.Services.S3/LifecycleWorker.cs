using Kiln.Services.S3.Domain;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kiln.Services.S3;

/// <summary>Runs <see cref="LifecycleEngine"/> passes in the background, one after another. The
/// period follows the day length (a tenth of a day, between 100 ms and 10 minutes) so a server
/// started with <c>--day-seconds 1</c> acts within a fraction of a scaled day, while a real-time
/// server scans every 10 minutes; due times are scaled midnights, so nothing is late by more than
/// one period.</summary>
internal sealed class LifecycleWorker(LifecycleEngine engine, ObjectService objects, ILogger<LifecycleWorker> logger)
    : BackgroundService
{
    public TimeSpan Period { get; } = TimeSpan.FromTicks(Math.Clamp(objects.Time.Day.Ticks / 10,
        TimeSpan.FromMilliseconds(100).Ticks, TimeSpan.FromMinutes(10).Ticks));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var incomplete = false;
            try
            {
                incomplete = (await engine.RunPassAsync(stoppingToken).ConfigureAwait(false)).Incomplete;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // A failed pass is logged and retried next period; the worker must not die.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                logger.LogError(ex, "S3 lifecycle pass failed");
            }

            try
            {
                // A bucket with more to look at continues at once; otherwise wait a period.
                await Task.Delay(incomplete ? TimeSpan.Zero : Period, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}

/// <summary>Delivers buffered server access log lines as objects every
/// <see cref="Period"/>. S3 delivers within hours, best effort; a short period keeps a demo quick,
/// and the last lines are written on a clean shutdown.</summary>
internal sealed class AccessLogWorker(AccessLogDelivery delivery, ILogger<AccessLogWorker> logger) : BackgroundService
{
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (true)
        {
            var stopping = false;
            try
            {
                await Task.Delay(Period, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                stopping = true;
            }

            try
            {
                await delivery.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // A failed delivery is logged; the worker must not die.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                logger.LogError(ex, "S3 access log delivery failed");
            }

            if (stopping)
            {
                return;
            }
        }
    }
}
