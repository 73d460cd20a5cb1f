using System.Diagnostics.CodeAnalysis;

namespace Kiln.Core.Errors;

/// <summary>The one exception every API-visible failure travels as. It carries the protocol-neutral
/// AWS error code; the protocol layer decides how it looks on the wire. The HTTP status comes from
/// the error shape in the service model unless <see cref="StatusCode"/> overrides it.</summary>
public class AwsException : Exception
{
    public AwsException(string code, string message, int? statusCode = null)
        : base(message)
    {
        Code = code;
        StatusCode = statusCode;
    }

    public string Code { get; }
    public int? StatusCode { get; init; }
    /// <summary>Who is at fault: true (the default) for the caller, false for the service.</summary>
    public bool SenderFault { get; init; } = true;
    /// <summary>Extra fields written beside Code and Message (S3 <c>BucketName</c>, <c>Key</c>...).</summary>
    public Dictionary<string, string> Fields { get; } = new(StringComparer.Ordinal);
    /// <summary>Extra response headers (S3 <c>x-amz-delete-marker</c> on NoSuchKey...).</summary>
    public Dictionary<string, string> Headers { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>What every generated operation answers until a service overrides it. Each protocol
    /// writes it as its own not-implemented error (DESIGN.md: S3 501 NotImplemented, JSON
    /// UnknownOperationException, query InvalidAction).</summary>
    public static AwsException NotImplemented(string service, string operation) =>
        new NotImplementedOperationException(service, operation);

    [DoesNotReturn]
    public static void Throw(string code, string message, int? statusCode = null) =>
        throw new AwsException(code, message, statusCode);
}

/// <summary>An operation Kiln routes but has not built yet.</summary>
public sealed class NotImplementedOperationException(string service, string operation)
    : AwsException("NotImplemented", $"{service} {operation} is not implemented in Kiln yet", 501)
{
    public string Service { get; } = service;
    public string Operation { get; } = operation;
}
