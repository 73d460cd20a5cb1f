namespace Kiln.Services.Kms.Tests;

/// <summary>KMS days follow the server's day (`kiln serve --day-seconds`).</summary>
public sealed class KmsOptionsTests
{
    [Fact]
    public void OptionsFor_ServerDay_ScalesDeletionDaysAndRotationPeriod()
    {
        Assert.Null(Environment.GetEnvironmentVariable(KmsService.DaySecondsVariable));
        Assert.Null(Environment.GetEnvironmentVariable(KmsService.RotationSecondsVariable));

        var options = KmsService.OptionsFor(TimeSpan.FromSeconds(2));

        Assert.Equal(TimeSpan.FromSeconds(2), options.Day);
        Assert.Equal(TimeSpan.FromSeconds(730), options.RotationPeriod);
        Assert.Equal(TimeSpan.FromDays(365), KmsService.OptionsFor(TimeSpan.FromDays(1)).RotationPeriod);
    }
}
