using Kiln.Core.Shapes;

namespace Kiln.Core;

/// <summary>A service as the gateway sees it: its model and one entry point. The generated
/// <c>&lt;Service&gt;ApiBase</c> implements this by switching on the operation name to one virtual
/// method per operation, whose default throws <see cref="Errors.AwsException.NotImplemented"/>.</summary>
public interface IServiceApi
{
    ServiceInfo Service { get; }

    /// <summary>Runs one operation. <paramref name="input"/> is the generated input shape (or null
    /// for an operation without input); the result is the output shape, or null without output.</summary>
    Task<object?> InvokeAsync(OperationInfo operation, object? input, RequestContext context);
}
