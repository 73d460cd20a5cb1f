using Kiln.Core;

namespace Kiln.Protocol.Gateway;

/// <summary>The authorize stage: one decision per request, before the handler runs (STYLE.md §3.6).
/// Throws an AwsException (AccessDenied) to refuse.</summary>
public interface IRequestAuthorizer
{
    ValueTask AuthorizeAsync(RequestContext context, object? input);
}

/// <summary>Until the policy engine exists (the security issue) every principal is an account's
/// root, and a root may do anything in its own account; so every authenticated request passes.</summary>
public sealed class RootOnlyAuthorizer : IRequestAuthorizer
{
    public ValueTask AuthorizeAsync(RequestContext context, object? input) =>
        context.Principal.Kind == PrincipalKind.Root || context.Operation.AuthType == "none"
            ? ValueTask.CompletedTask
            : throw new Kiln.Core.Errors.AwsException("AccessDenied",
                $"User: {context.Principal.Arn} is not authorized to perform: " +
                $"{context.Service.SigningName}:{context.Operation.Name}", 403);
}
