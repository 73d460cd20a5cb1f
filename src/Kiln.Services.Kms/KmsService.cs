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

    /// <summary>The virtual-time knobs (DESIGN.md, Time) come from the environment until the host has
    /// a settings file; the defaults are AWS's.</summary>
    internal static KmsOptions OptionsFromEnvironment()
    {
        var defaults = new KmsOptions();
        return new KmsOptions
        {
            Day = Seconds(DaySecondsVariable) ?? defaults.Day,
            RotationPeriod = Seconds(RotationSecondsVariable) ?? defaults.RotationPeriod,
        };

        static TimeSpan? Seconds(string name) =>
            double.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s > 0
                ? TimeSpan.FromSeconds(s)
                : null;
    }
}
