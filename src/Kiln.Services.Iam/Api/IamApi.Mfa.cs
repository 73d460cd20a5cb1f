using Kiln.Core;
using Kiln.Model.Iam;
using Kiln.Services.Iam.Domain;

namespace Kiln.Services.Iam.Api;

internal sealed partial class IamApi
{
    /// <summary>The seed and QR code are returned here once and never again: list operations omit them.</summary>
    public override async Task<CreateVirtualMFADeviceResponse> CreateVirtualMFADeviceAsync(CreateVirtualMFADeviceRequest input,
        RequestContext context)
    {
        var created = await iam.CreateVirtualMfaDeviceAsync(context.AccountId, input.VirtualMFADeviceName, input.Path,
            Tags(input.Tags), context.Aborted);
        return new CreateVirtualMFADeviceResponse
        {
            VirtualMFADevice = new VirtualMFADevice
            {
                SerialNumber = created.Device.SerialNumber,
                Base32StringSeed = System.Text.Encoding.ASCII.GetBytes(created.Base32Seed),
                QRCodePNG = created.QrCodePng,
                Tags = created.Device.Tags.Count > 0 ? ToTags(created.Device.Tags) : null,
            },
        };
    }

    public override Task EnableMFADeviceAsync(EnableMFADeviceRequest input, RequestContext context) =>
        iam.EnableMfaDeviceAsync(context.AccountId, UserNameOrCaller(input.UserName, context), input.SerialNumber,
            input.AuthenticationCode1, input.AuthenticationCode2, context.Aborted);

    public override Task DeactivateMFADeviceAsync(DeactivateMFADeviceRequest input, RequestContext context) =>
        iam.DeactivateMfaDeviceAsync(context.AccountId, input.UserName ?? CallerUserName(context), input.SerialNumber,
            context.Aborted);

    public override Task DeleteVirtualMFADeviceAsync(DeleteVirtualMFADeviceRequest input, RequestContext context) =>
        iam.DeleteVirtualMfaDeviceAsync(context.AccountId, input.SerialNumber, context.Aborted);

    /// <summary>Without UserName, the caller's devices; root (no user) has none Kiln tracks.</summary>
    public override async Task<ListMFADevicesResponse> ListMFADevicesAsync(ListMFADevicesRequest input, RequestContext context)
    {
        var name = input.UserName ?? CallerUserName(context);
        IReadOnlyList<MfaDevice> devices = [];
        if (name is not null)
        {
            await iam.GetUserAsync(context.AccountId, name, context.Aborted);
            devices = await iam.ListMfaDevicesAsync(context.AccountId, name, context.Aborted);
        }

        var page = IamPage.Of(devices, input.Marker, input.MaxItems);
        return new ListMFADevicesResponse
        {
            MFADevices = [.. page.Items.Select(d => new MFADevice { UserName = d.UserName, SerialNumber = d.SerialNumber, EnableDate = d.EnableDate })],
            IsTruncated = page.IsTruncated,
            Marker = page.Marker,
        };
    }

    public override async Task<ListVirtualMFADevicesResponse> ListVirtualMFADevicesAsync(ListVirtualMFADevicesRequest input,
        RequestContext context)
    {
        var page = IamPage.Of(await iam.ListVirtualMfaDevicesAsync(context.AccountId, input.AssignmentStatus, context.Aborted),
            input.Marker, input.MaxItems);
        var devices = new List<VirtualMFADevice>(page.Items.Count);
        foreach (var d in page.Items)
        {
            var user = d.UserName is null ? null : await iam.FindUserAsync(context.AccountId, d.UserName, context.Aborted);
            devices.Add(new VirtualMFADevice
            {
                SerialNumber = d.SerialNumber,
                User = user is null ? null : ToUser(user, withTags: false),
                EnableDate = d.EnableDate,
                Tags = d.Tags.Count > 0 ? ToTags(d.Tags) : null,
            });
        }

        return new ListVirtualMFADevicesResponse { VirtualMFADevices = devices, IsTruncated = page.IsTruncated, Marker = page.Marker };
    }

    // ---- permissions boundaries ----------------------------------------------------------------

    public override Task PutUserPermissionsBoundaryAsync(PutUserPermissionsBoundaryRequest input, RequestContext context) =>
        iam.PutPermissionsBoundaryAsync(context.AccountId, EntityKind.User, Required(input.UserName, "userName"), input.PermissionsBoundary, context.Aborted);

    public override Task DeleteUserPermissionsBoundaryAsync(DeleteUserPermissionsBoundaryRequest input, RequestContext context) =>
        iam.DeletePermissionsBoundaryAsync(context.AccountId, EntityKind.User, Required(input.UserName, "userName"), context.Aborted);

    public override Task PutRolePermissionsBoundaryAsync(PutRolePermissionsBoundaryRequest input, RequestContext context) =>
        iam.PutPermissionsBoundaryAsync(context.AccountId, EntityKind.Role, Required(input.RoleName, "roleName"), input.PermissionsBoundary, context.Aborted);

    public override Task DeleteRolePermissionsBoundaryAsync(DeleteRolePermissionsBoundaryRequest input, RequestContext context) =>
        iam.DeletePermissionsBoundaryAsync(context.AccountId, EntityKind.Role, Required(input.RoleName, "roleName"), context.Aborted);

    /// <summary>A required member the request left out: the validator's wording, never a 500.</summary>
    private static string Required(string? value, string member) =>
        value ?? throw IamErrors.ValidationError(
            $"1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null");
}
