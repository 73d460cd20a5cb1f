using Kiln.Core;
using Kiln.Protocol.Gateway;
using Kiln.Services.Iam.Api;
using Kiln.Services.Iam.Authorization;
using Kiln.Services.Iam.Domain;
using Kiln.Services.Iam.Storage;
using Kiln.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Services.Iam;

/// <summary>AWS Identity and Access Management, and the gateway's authorize stage that enforces it.</summary>
public sealed class IamService : IKilnService
{
    public static void Register(IServiceCollection services)
    {
        services.AddSingleton<IIamStore>(sp => new SqliteIamStore(sp.GetRequiredService<SqliteDatabase>()));
        services.AddSingleton<IamDirectory>();
        services.AddSingleton<IServiceApi, IamApi>();
        services.AddSingleton<IamAuthorizer>();
    }

    /// <summary>Replaces the root-only authorizer with IAM policy evaluation.</summary>
    public static void UseIamAuthorization(IServiceCollection services)
    {
        services.AddSingleton<IRequestAuthorizer>(sp => sp.GetRequiredService<IamAuthorizer>());
    }
}
