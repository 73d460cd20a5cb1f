using System.Collections.Frozen;
using Kiln.Core;
using Kiln.Core.Shapes;
using Kiln.Protocol.Json;
using Kiln.Protocol.Query;
using Kiln.Protocol.RestXml;
using Kiln.Protocol.Routing;

namespace Kiln.Protocol.Gateway;

/// <summary>Every service the gateway routes, with the lookup tables service and operation
/// resolution need. Built once at start from the generated models; services that have an API
/// registered use it, the others answer not-implemented for every operation.</summary>
public sealed class ServiceCatalog
{
    private readonly FrozenDictionary<string, RegisteredService[]> _bySigningName;
    private readonly FrozenDictionary<string, RegisteredService> _byTargetPrefix;
    private readonly FrozenDictionary<string, RegisteredService> _queryByVersion;
    private readonly FrozenDictionary<string, RestRouteTable> _routes;

    public ServiceCatalog(IEnumerable<ServiceInfo> models, IEnumerable<IServiceApi> apis)
    {
        var built = apis.ToDictionary(a => a.Service.ServiceId, StringComparer.Ordinal);
        var codecs = new Dictionary<string, IProtocolCodec>(StringComparer.Ordinal)
        {
            ["rest-xml"] = new RestXmlCodec(),
            ["json"] = new JsonCodec(),
            ["query"] = new QueryCodec(),
            ["rest-json"] = new RestJsonCodec(),
        };

        Services = models
            .Select(m => new RegisteredService(built.GetValueOrDefault(m.ServiceId) ?? new UnbuiltServiceApi(m),
                codecs[m.Protocol]))
            .ToArray();
        ById = Services.ToFrozenDictionary(s => s.Info.ServiceId, StringComparer.Ordinal);
        _bySigningName = Services.GroupBy(s => s.Info.SigningName, StringComparer.Ordinal)
            .ToFrozenDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal);
        _byTargetPrefix = Services.Where(s => s.Info.TargetPrefix is not null)
            .ToFrozenDictionary(s => s.Info.TargetPrefix!, StringComparer.Ordinal);
        _queryByVersion = Services.Where(s => s.Info.Protocol == "query")
            .ToFrozenDictionary(s => s.Info.ApiVersion, StringComparer.Ordinal);
        _routes = Services.Where(s => s.IsRest)
            .ToFrozenDictionary(s => s.Info.ServiceId, s => new RestRouteTable(s.Info), StringComparer.Ordinal);
    }

    public IReadOnlyList<RegisteredService> Services { get; }
    public FrozenDictionary<string, RegisteredService> ById { get; }

    public RegisteredService[]? BySigningName(string signingName) => _bySigningName.GetValueOrDefault(signingName);

    /// <summary>The JSON service of an <c>X-Amz-Target: Prefix.Operation</c> value, and the operation name.</summary>
    public RegisteredService? ByTarget(string target, out string operationName)
    {
        var dot = target.LastIndexOf('.');
        operationName = dot < 0 ? "" : target[(dot + 1)..];
        return dot < 0 ? null : _byTargetPrefix.GetValueOrDefault(target[..dot]);
    }

    public RegisteredService? QueryServiceByVersion(string version) => _queryByVersion.GetValueOrDefault(version);

    public RestRouteTable Routes(RegisteredService service) => _routes[service.Info.ServiceId];
}
