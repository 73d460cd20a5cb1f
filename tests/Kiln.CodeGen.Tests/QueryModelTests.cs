using Kiln.Core.Shapes;
using Kiln.Model.Iam;
using Kiln.Model.Sts;

namespace Kiln.CodeGen.Tests;

public class QueryModelTests
{
    [Fact]
    public void GetCallerIdentity_Output_IsWrappedWithAccountArnUserId()
    {
        var op = StsModel.Service.Operations["GetCallerIdentity"];
        Assert.Equal("GetCallerIdentityResult", op.ResultWrapper);
        Assert.NotNull(op.Input);
        Assert.Equal(["UserId", "Account", "Arn"], op.Output!.Members.Select(m => m.Name));
        Assert.All(op.Output.Members, m => Assert.Equal(ShapeType.String, m.Shape.Type));
    }

    [Fact]
    public void Sts_Metadata_IsQueryWithHttpsNamespace()
    {
        var sts = StsModel.Service;
        Assert.Equal("query", sts.Protocol);
        Assert.Equal("2011-06-15", sts.ApiVersion);
        Assert.Equal("https://sts.amazonaws.com/doc/2011-06-15/", sts.XmlNamespace);
        Assert.True(sts.GlobalEndpoint);
    }

    [Fact]
    public void NoSuchEntity_Error_Is404SenderFault()
    {
        var error = IamModel.Service.ErrorShapes["NoSuchEntity"];
        Assert.Equal("NoSuchEntityException", error.Name);
        Assert.Equal(new ErrorInfo("NoSuchEntity", 404, true), error.Error);
        Assert.Null(error.Create);
    }

    [Fact]
    public void ServiceFailure_Error_IsServerFault()
    {
        var error = IamModel.Service.ErrorShapes["ServiceFailure"].Error!;
        Assert.Equal(500, error.HttpStatusCode);
        Assert.False(error.SenderFault);
    }

    [Fact]
    public void IamPolicyDocument_RecursiveShapes_AreLinked()
    {
        var op = IamModel.Service.Operations["GetAccountAuthorizationDetails"];
        Assert.NotNull(op.Output);
        Assert.Equal("GetAccountAuthorizationDetailsResult", op.ResultWrapper);
        var users = op.Output!.FindMember("UserDetailList")!.Shape;
        Assert.Equal(ShapeType.List, users.Type);
        Assert.NotNull(users.Member!.Shape.FindMember("UserName"));
    }

    [Fact]
    public void ErrorMembers_ReadAndWriteAwsExceptionFields()
    {
        var error = IamModel.Service.ErrorShapes["NoSuchEntity"];
        var message = error.FindMember("message")!;
        var exception = new Kiln.Core.Errors.AwsException("NoSuchEntity", "The user with name bob cannot be found.");
        Assert.Equal("The user with name bob cannot be found.", message.Get(exception));
        message.Set(exception, "overridden");
        Assert.Equal("overridden", exception.Fields["message"]);
        Assert.Equal("overridden", message.Get(exception));
    }

    [Fact]
    public void CreateUser_Members_KeepModelOrderAndRequired()
    {
        var input = IamModel.Service.Operations["CreateUser"].Input!;
        Assert.Equal(["Path", "UserName", "PermissionsBoundary", "Tags"], input.Members.Select(m => m.Name));
        Assert.True(input.FindMember("UserName")!.Required);
        Assert.False(input.FindMember("Path")!.Required);
        Assert.IsType<CreateUserRequest>(input.Create!());
    }
}
