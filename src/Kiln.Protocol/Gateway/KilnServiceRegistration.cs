using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Protocol.Gateway;

/// <summary>A Kiln service registers its API and whatever its domain needs. The host lists
/// services explicitly (STYLE.md §4): <c>services.AddKilnService&lt;StsService&gt;()</c>.</summary>
public interface IKilnService
{
    static abstract void Register(IServiceCollection services);
}

public static class KilnServiceRegistration
{
    public static IServiceCollection AddKilnService<TService>(this IServiceCollection services)
        where TService : IKilnService
    {
        TService.Register(services);
        return services;
    }
}
