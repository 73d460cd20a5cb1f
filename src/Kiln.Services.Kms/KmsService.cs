using System.Globalization;
using Kiln.Core;
using Kiln.Protocol.Gateway;
using Kiln.Services.Kms.Api;
using Kiln.Services.Kms.Domain;
using Kiln.Services.Kms.Storage;
using Kiln.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Services.Kms;

/// <summary>AWS Key Management Service: symmetric keys sealed under the data directory's master key,
/// key policies, and <see cref="IKmsDataKeys"/> for other services.</summary>
public sealed class KmsService : IKilnService
{
    /// <summary>Shortens KMS "days" (pending deletion windows) to this many seconds.</summary>
    public const string DaySecondsVariable = "KILN_KMS_DAY_SECONDS";
    /// <summary>Sets the automatic rotation period in seconds (AWS: 365 days).</summary>
    public const string RotationSecondsVariable = "KILN_KMS_ROTATION_PERIOD_SECONDS";

    public static void Register(IServiceCollection services)
    {
        services.AddSingleton<IKmsStore>(sp => new SqliteKmsStore(sp.GetRequiredService<SqliteDatabase>()));
        services.AddSingleton(_ => OptionsFromEnvironment());
        services.AddSingleton<KeyService>();
        services.AddSingleton<KeyAuthorization>();
        services.AddSingleton<IKmsDataKeys, KmsDataKeys>();
        services.AddSingleton<IServiceApi, KmsApi>();
    }

    /// <summary>The virtual-time knobs (DESIGN.md, Time) from the environment alone; the defaults are AWS's.</summary>
    internal static KmsOptions OptionsFromEnvironment() => OptionsFor(TimeSpan.FromDays(1));

    /// <summary>KMS time on the server's day (`kiln serve --day-seconds`): a deletion window of N days
    /// and the 365-day rotation period are measured in those days, unless
    /// <see cref="DaySecondsVariable"/> or <see cref="RotationSecondsVariable"/> says otherwise.</summary>
    public static KmsOptions OptionsFor(TimeSpan serverDay)
    {
        var day = Seconds(DaySecondsVariable) ?? serverDay;
        return new KmsOptions
        {
            Day = day,
            RotationPeriod = Seconds(RotationSecondsVariable) ?? day * 365,
        };

        static TimeSpan? Seconds(string name) =>
            double.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s > 0
                ? TimeSpan.FromSeconds(s)
                : null;
    }
}
