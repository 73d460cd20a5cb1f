using Kiln.Core;
using Kiln.Core.Shapes;

namespace Kiln.Protocol.Gateway;

/// <summary>A service as the gateway routes it: its model, its API and the codec of its protocol.</summary>
public sealed class RegisteredService(IServiceApi api, IProtocolCodec codec)
{
    public IServiceApi Api { get; } = api;
    public ServiceInfo Info => Api.Service;
    public IProtocolCodec Codec { get; } = codec;
    public bool IsRest => Info.Protocol is "rest-xml" or "rest-json";
    public bool IsS3 => Info.ServiceId == "s3";

    public override string ToString() => Info.ServiceId;
}

/// <summary>The API of a service Kiln routes but has not built: every operation answers its
/// protocol's not-implemented error (DESIGN.md).</summary>
public sealed class UnbuiltServiceApi(ServiceInfo service) : IServiceApi
{
    public ServiceInfo Service { get; } = service;

    public Task<object?> InvokeAsync(OperationInfo operation, object? input, RequestContext context) =>
        throw Kiln.Core.Errors.AwsException.NotImplemented(Service.ServiceId, operation.Name);
}
