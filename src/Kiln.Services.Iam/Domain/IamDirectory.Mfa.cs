using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Kiln.Storage.Crypto;

namespace Kiln.Services.Iam.Domain;

/// <summary>What CreateVirtualMFADevice hands back once: the device and its seed in the two forms AWS
/// returns (the base32 text and a QR code PNG of the otpauth:// URI).</summary>
public sealed record CreatedMfaDevice(MfaDevice Device, string Base32Seed, byte[] QrCodePng);

/// <summary>Virtual MFA devices: create, enable for a user after two consecutive TOTP codes,
/// deactivate, delete, and the TOTP check STS uses for GetSessionToken and AssumeRole.</summary>
public sealed partial class IamDirectory
{
    // "IAM object quotas": MFA devices in use per user.
    public const int MaxMfaDevicesPerUser = 8;
    private const int SeedBytes = 20;

    private readonly MasterKey _seedKey = masterKey ?? MasterKey.Ephemeral();

    [GeneratedRegex(@"^\d{6}$")]
    private static partial Regex CodePattern();

    [GeneratedRegex(@"^[\w+=/:,.@-]{9,256}$")]
    private static partial Regex SerialPattern();

    /// <summary>CreateVirtualMFADevice: a random 20-byte seed; the QR code encodes
    /// <c>otpauth://totp/$virtualMFADeviceName@$AccountName?secret=$Base32String</c> (the format the API
    /// reference gives), with the account id as the account name.</summary>
    public async Task<CreatedMfaDevice> CreateVirtualMfaDeviceAsync(string account, string? name, string? path,
        IReadOnlyList<IamTag>? tags, CancellationToken ct)
    {
        IamNames.CheckName(name, "virtualMFADeviceName", 226);
        path = IamNames.CheckPath(path);
        CheckTags(tags);
        return await WriteAsync(account, async () =>
        {
            if (await FindAsync<MfaDevice>(account, EntityKind.MfaDevice, name!, ct) is not null)
            {
                throw IamErrors.MfaDeviceExists();
            }

            var seed = RandomNumberGenerator.GetBytes(SeedBytes);
            var serial = $"arn:aws:iam::{account}:mfa{path}{name}";
            var device = new MfaDevice
            {
                Name = name!,
                Path = path,
                SerialNumber = serial,
                SealedSeed = _seedKey.Seal(seed, Encoding.ASCII.GetBytes(serial)),
                CreateDate = clock.UtcNow,
                Tags = tags?.ToList() ?? [],
            };
            var base32 = Totp.Base32(seed);
            var uri = $"otpauth://totp/{Uri.EscapeDataString(name!)}@{account}?secret={base32}";
            var png = QrPng.Render(QrCode.Encode(Encoding.UTF8.GetBytes(uri)));
            CryptographicOperations.ZeroMemory(seed);
            return (new CreatedMfaDevice(device, base32, png), new[] { Put(EntityKind.MfaDevice, device) });
        }, ct);
    }

    /// <summary>EnableMFADevice: the two codes must be consecutive TOTP codes ("two consecutive
    /// authentication codes"), the second within one step of now.</summary>
    public Task EnableMfaDeviceAsync(string account, string userName, string? serial, string? code1, string? code2,
        CancellationToken ct)
    {
        CheckSerial(serial);
        CheckCode(code1, "authenticationCode1");
        CheckCode(code2, "authenticationCode2");
        return WriteAsync(account, async () =>
        {
            var user = await GetUserAsync(account, userName, ct);
            var device = await FindDeviceAsync(account, serial!, ct)
                         ?? throw IamErrors.NoSuchMfaDevice(serial!);
            if (device.UserName is not null)
            {
                throw IamErrors.MfaDeviceInUse();
            }

            if ((await ListMfaDevicesAsync(account, user.Name, ct)).Count >= MaxMfaDevicesPerUser)
            {
                throw IamErrors.LimitExceeded($"Cannot exceed quota for MFADevicesPerUser: {MaxMfaDevicesPerUser}");
            }

            var seed = OpenSeed(device);
            // Code 2 may be from the step before, of or after now (clock drift of ±30 s); code 1 must
            // be the code of the step just before code 2's.
            var now = Totp.Step(clock.UtcNow);
            var ok = false;
            for (var step2 = now - 1; step2 <= now + 1 && !ok; step2++)
            {
                ok = Totp.Matches(seed, step2 - 1, code1) && Totp.Matches(seed, step2, code2);
            }

            CryptographicOperations.ZeroMemory(seed);
            if (!ok)
            {
                throw IamErrors.InvalidAuthenticationCode();
            }

            device.UserName = user.Name;
            device.EnableDate = clock.UtcNow;
            return (true, new[] { Put(EntityKind.MfaDevice, device) });
        }, ct);
    }

    /// <summary>DeactivateMFADevice: the virtual device stays, unassigned, until it is deleted.</summary>
    public Task DeactivateMfaDeviceAsync(string account, string? userName, string? serial, CancellationToken ct)
    {
        CheckSerial(serial);
        return WriteAsync(account, async () =>
        {
            if (userName is not null)
            {
                await GetUserAsync(account, userName, ct);
            }

            var device = await FindDeviceAsync(account, serial!, ct);
            if (device?.UserName is null ||
                (userName is not null && !string.Equals(IamNames.Key(device.UserName), IamNames.Key(userName), StringComparison.Ordinal)))
            {
                throw IamErrors.NoSuchMfaDevice(serial!);
            }

            device.UserName = null;
            device.EnableDate = null;
            return (true, new[] { Put(EntityKind.MfaDevice, device) });
        }, ct);
    }

    public Task DeleteVirtualMfaDeviceAsync(string account, string? serial, CancellationToken ct)
    {
        CheckSerial(serial);
        return WriteAsync(account, async () =>
        {
            var device = await FindDeviceAsync(account, serial!, ct) ?? throw IamErrors.NoSuchMfaDevice(serial!);
            if (device.UserName is not null)
            {
                throw IamErrors.DeleteConflict("MFA Device is still in use.");
            }

            return (true, new[] { Delete(EntityKind.MfaDevice, device.Name) });
        }, ct);
    }

    /// <summary>The MFA devices enabled for a user, oldest first.</summary>
    public async Task<IReadOnlyList<MfaDevice>> ListMfaDevicesAsync(string account, string userName, CancellationToken ct)
    {
        var key = IamNames.Key(userName);
        return [.. (await store.ListAsync<MfaDevice>(account, EntityKind.MfaDevice, ct))
            .Where(d => d.UserName is not null && IamNames.Key(d.UserName) == key)
            .OrderBy(d => d.EnableDate)];
    }

    /// <summary>ListVirtualMFADevices: AssignmentStatus Assigned, Unassigned or Any (the default).</summary>
    public async Task<IReadOnlyList<MfaDevice>> ListVirtualMfaDevicesAsync(string account, string? status, CancellationToken ct)
    {
        Func<MfaDevice, bool> filter = status switch
        {
            null or "Any" => _ => true,
            "Assigned" => d => d.UserName is not null,
            "Unassigned" => d => d.UserName is null,
            _ => throw IamErrors.ValidationError(
                $"1 validation error detected: Value '{status}' at 'assignmentStatus' failed to satisfy constraint: " +
                "Member must satisfy enum value set: [Unassigned, Any, Assigned]"),
        };
        return [.. (await store.ListAsync<MfaDevice>(account, EntityKind.MfaDevice, ct)).Where(filter)];
    }

    /// <summary>STS's MFA check: the device must be enabled for <paramref name="userArn"/>; the code
    /// must be the TOTP of the current step or one step either side. Returns false for a wrong code;
    /// null when the serial is no device of that user (AWS answers the two differently).</summary>
    public async Task<bool?> VerifyMfaCodeAsync(string account, string userArn, string? serial, string? code,
        CancellationToken ct)
    {
        if (serial is null || !SerialPattern().IsMatch(serial))
        {
            return null;
        }

        var device = await FindDeviceAsync(account, serial, ct);
        var user = device?.UserName is { } name ? await FindAsync<IamUser>(account, EntityKind.User, name, ct) : null;
        if (user is null || user.Arn != userArn)
        {
            return null;
        }

        if (code is null || !CodePattern().IsMatch(code))
        {
            return false;
        }

        var seed = OpenSeed(device!);
        var now = Totp.Step(clock.UtcNow);
        var ok = false;
        for (var step = now - 1; step <= now + 1; step++)
        {
            ok |= Totp.Matches(seed, step, code);
        }

        CryptographicOperations.ZeroMemory(seed);
        return ok;
    }

    /// <summary>A device by serial number (its ARN) in this account.</summary>
    private async Task<MfaDevice?> FindDeviceAsync(string account, string serial, CancellationToken ct)
    {
        var prefix = $"arn:aws:iam::{account}:mfa/";
        if (!serial.StartsWith(prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var device = await FindAsync<MfaDevice>(account, EntityKind.MfaDevice, IamNames.NameOf(serial), ct);
        return device?.SerialNumber == serial ? device : null;
    }

    private byte[] OpenSeed(MfaDevice device) =>
        _seedKey.Open(device.SealedSeed, Encoding.ASCII.GetBytes(device.SerialNumber));

    private static void CheckSerial(string? serial)
    {
        if (serial is null || !SerialPattern().IsMatch(serial))
        {
            throw IamErrors.ValidationError(serial is null
                ? "1 validation error detected: Value null at 'serialNumber' failed to satisfy constraint: Member must not be null"
                : $"1 validation error detected: Value '{serial}' at 'serialNumber' failed to satisfy constraint: " +
                  @"Member must satisfy regular expression pattern: [\w+=/:,.@-]+");
        }
    }

    /// <summary>The model's authenticationCodeType: exactly six digits. The value is not echoed.</summary>
    private static void CheckCode(string? code, string member)
    {
        if (code is null)
        {
            throw IamErrors.ValidationError(
                $"1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null");
        }

        if (!CodePattern().IsMatch(code))
        {
            throw IamErrors.ValidationError(code.Length != 6
                ? $"1 validation error detected: Value at '{member}' failed to satisfy constraint: Member must have length less than or equal to 6"
                : $"1 validation error detected: Value at '{member}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\d]+");
        }
    }
}
