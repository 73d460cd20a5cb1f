using Kiln.Core.Errors;

namespace Kiln.Protocol.Gateway.Stages;

/// <summary>Size checks that apply before anything else is read.</summary>
internal static class RequestLimits
{
    public static void CheckHeaders(GatewayRequest request, GatewayOptions options)
    {
        var total = request.Request.Path.Value?.Length ?? 0;
        total += request.Request.QueryString.Value?.Length ?? 0;
        foreach (var header in request.Request.Headers)
        {
            total += header.Key.Length + 4;
            foreach (var value in header.Value)
            {
                total += value?.Length ?? 0;
            }
        }

        if (total > options.MaxHeaderBytes)
        {
            // S3's code for this case; the JSON and query codecs write it in their own shape.
            throw new AwsException("RequestHeaderSectionTooLarge",
                $"Your request header section exceeds the maximum allowed size of {options.MaxHeaderBytes} bytes.", 400);
        }
    }
}
