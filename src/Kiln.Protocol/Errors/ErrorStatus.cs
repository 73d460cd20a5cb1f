using Kiln.Core.Errors;
using Kiln.Core.Shapes;

namespace Kiln.Protocol.Errors;

/// <summary>Picks the HTTP status and the fault side of an <see cref="AwsException"/>: the
/// exception's own override, else the error shape in the service model, else 400 for the caller's
/// fault and 500 for ours.</summary>
public static class ErrorStatus
{
    public static int Resolve(ServiceInfo? service, AwsException error)
    {
        if (error.StatusCode is { } status)
        {
            return status;
        }

        if (service is not null && service.ErrorShapes.TryGetValue(error.Code, out var shape) && shape.Error is { } info)
        {
            return info.HttpStatusCode;
        }

        return error.SenderFault ? 400 : 500;
    }

    /// <summary>Query <c>&lt;Type&gt;</c> and <c>x-amzn-query-error</c>: <c>Sender</c> unless the
    /// exception says the service is at fault or the status is a 5xx. The model's
    /// <c>senderFault</c> is not used: JSON models leave it out even for client errors.</summary>
    public static bool IsSenderFault(AwsException error, int status) => error.SenderFault && status < 500;
}
