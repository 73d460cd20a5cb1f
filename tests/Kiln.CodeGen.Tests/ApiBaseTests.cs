using Kiln.Core;
using Kiln.Core.Errors;
using Kiln.Core.Shapes;
using Kiln.Model.S3;
using Kiln.Model.Sts;

namespace Kiln.CodeGen.Tests;

public class ApiBaseTests
{
    private sealed class EmptySts : StsApiBase;

    private sealed class WorkingSts : StsApiBase
    {
        public override Task<GetCallerIdentityResponse> GetCallerIdentityAsync(GetCallerIdentityRequest input, RequestContext context) =>
            Task.FromResult(new GetCallerIdentityResponse { Account = context.AccountId, Arn = context.Principal.Arn, UserId = context.Principal.UserId });
    }

    private sealed class DeletingS3 : S3ApiBase
    {
        public string? Deleted { get; private set; }

        public override async Task DeleteBucketAsync(DeleteBucketRequest input, RequestContext context)
        {
            await Task.Yield();
            Deleted = input.Bucket;
        }
    }

    private static RequestContext Context(OperationInfo op) => new()
    {
        RequestId = "req-1",
        Principal = new Principal("123456789012", "arn:aws:iam::123456789012:root", "123456789012", PrincipalKind.Root, "AKIDEXAMPLE"),
        Region = "us-east-1",
        Operation = op,
        ReceivedAt = DateTimeOffset.UnixEpoch,
    };

    [Fact]
    public async Task InvokeAsync_NotOverridden_ThrowsNotImplemented()
    {
        var api = new EmptySts();
        var op = api.Service.Operations["GetCallerIdentity"];
        var error = await Assert.ThrowsAsync<NotImplementedOperationException>(
            () => api.InvokeAsync(op, op.Input!.Create!(), Context(op)));
        Assert.Equal("sts", error.Service);
        Assert.Equal("GetCallerIdentity", error.Operation);
    }

    [Fact]
    public async Task InvokeAsync_UnlistedOperation_ThrowsNotImplemented()
    {
        var api = new EmptySts();
        var op = api.Service.Operations["AssumeRoleWithSAML"];
        Assert.Null(op.Input);
        var error = await Assert.ThrowsAsync<NotImplementedOperationException>(() => api.InvokeAsync(op, null, Context(op)));
        Assert.Equal("AssumeRoleWithSAML", error.Operation);
    }

    [Fact]
    public async Task InvokeAsync_Overridden_ReturnsBoxedOutput()
    {
        var api = new WorkingSts();
        var op = api.Service.Operations["GetCallerIdentity"];
        var result = await api.InvokeAsync(op, new GetCallerIdentityRequest(), Context(op));
        var response = Assert.IsType<GetCallerIdentityResponse>(result);
        Assert.Equal("123456789012", response.Account);
        Assert.Same(StsModel.Service, api.Service);
    }

    [Fact]
    public async Task InvokeAsync_NoOutputOperation_ReturnsNull()
    {
        var api = new DeletingS3();
        var op = api.Service.Operations["DeleteBucket"];
        Assert.Null(op.Output);
        var result = await api.InvokeAsync(op, new DeleteBucketRequest { Bucket = "b1" }, Context(op));
        Assert.Null(result);
        Assert.Equal("b1", api.Deleted);
    }

    [Fact]
    public async Task InvokeAsync_NoInputOperation_IgnoresInput()
    {
        var api = new DeletingS3();
        var op = api.Service.Operations["ListBuckets"];
        Assert.Null(op.Input);
        var error = await Assert.ThrowsAsync<NotImplementedOperationException>(() => api.InvokeAsync(op, null, Context(op)));
        Assert.Equal(501, error.StatusCode);
    }
}

public class LambdaApiBaseTests
{
    // Lambda's Invoke operation becomes InvokeAsync(InvocationRequest, RequestContext), an overload of
    // IServiceApi.InvokeAsync(OperationInfo, object?, RequestContext); dispatch must pick the operation.
    private sealed class EchoLambda : Kiln.Model.Lambda.LambdaApiBase
    {
        public override Task<Kiln.Model.Lambda.InvocationResponse> InvokeAsync(Kiln.Model.Lambda.InvocationRequest input, RequestContext context) =>
            Task.FromResult(new Kiln.Model.Lambda.InvocationResponse { StatusCode = 200, ExecutedVersion = input.Qualifier });
    }

    [Fact]
    public async Task InvokeAsync_LambdaInvoke_DispatchesToOperationOverload()
    {
        var api = new EchoLambda();
        var op = api.Service.Operations["Invoke"];
        Assert.Equal("Payload", op.Output!.Payload);
        var context = new RequestContext
        {
            RequestId = "r",
            Principal = new Principal("123456789012", "arn:aws:iam::123456789012:root", "123456789012", PrincipalKind.Root, "AKID"),
            Region = "us-east-1",
            Operation = op,
            ReceivedAt = DateTimeOffset.UnixEpoch,
        };
        var result = await api.InvokeAsync(op, new Kiln.Model.Lambda.InvocationRequest { Qualifier = "$LATEST" }, context);
        Assert.Equal("$LATEST", Assert.IsType<Kiln.Model.Lambda.InvocationResponse>(result).ExecutedVersion);
    }
}
