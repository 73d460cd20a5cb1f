using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Kiln.Core.Errors;
using Kiln.Policy;
using Kiln.Services.Iam.Authorization;
using Kiln.Services.Iam.Domain;
using Kiln.Services.Sts.Domain;
using StsModel = Kiln.Model.Sts.StsModel;

namespace Kiln.Services.Iam.Tests;

/// <summary>Virtual MFA devices, TOTP, the QR code PNG, and MFA in STS.</summary>
public sealed class IamMfaTests
{
    private static readonly byte[] s_rfcSecret = Encoding.ASCII.GetBytes("12345678901234567890");

    [Theory]
    [InlineData(59, "287082")]
    [InlineData(1111111109, "081804")]
    [InlineData(1234567890, "005924")]
    [InlineData(2000000000, "279037")]
    public void Totp_Rfc6238Sha1Vectors_LastSixDigits(long unixTime, string expected)
    {
        // RFC 6238 appendix B (SHA1, 8 digits: 94287082, 07081804, 89005924, 69279037); 6 digits keep the last six.
        var code = Totp.Code(s_rfcSecret, Totp.Step(DateTimeOffset.FromUnixTimeSeconds(unixTime)));

        Assert.Equal(expected, code);
    }

    [Fact]
    public void Base32_Rfc4648_EncodesWithoutPadding()
    {
        Assert.Equal("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", Totp.Base32(s_rfcSecret));
        Assert.Equal("MZXW6YTBOI", Totp.Base32("foobar"u8));
    }

    [Fact]
    public async Task CreateVirtualMfaDevice_ReturnsSeedAndQrPng_SerialIsMfaArn()
    {
        var t = await TestIam.CreateAsync();

        var created = await t.Iam.CreateVirtualMfaDeviceAsync(t.Account, "alice-phone", "/team/", null, default);

        Assert.Equal($"arn:aws:iam::{t.Account}:mfa/team/alice-phone", created.Device.SerialNumber);
        Assert.Matches("^[A-Z2-7]{32}$", created.Base32Seed);
        Assert.Equal(20, FromBase32(created.Base32Seed).Length);
        AssertValidQrPng(created.QrCodePng);
        Assert.DoesNotContain(created.Base32Seed, Encoding.ASCII.GetString(created.Device.SealedSeed));
    }

    [Fact]
    public async Task CreateVirtualMfaDevice_SameName_ReturnsEntityAlreadyExists()
    {
        var t = await TestIam.CreateAsync();
        await t.Iam.CreateVirtualMfaDeviceAsync(t.Account, "dev", null, null, default);

        var e = await Assert.ThrowsAsync<AwsException>(() => t.Iam.CreateVirtualMfaDeviceAsync(t.Account, "dev", null, null, default));

        Assert.Equal(("EntityAlreadyExists", 409), (e.Code, e.StatusCode!.Value));
    }

    [Fact]
    public async Task EnableMfaDevice_ConsecutiveCodes_AssignsDevice_WrongCodes_InvalidAuthenticationCode()
    {
        var t = await TestIam.CreateAsync();
        await t.Iam.CreateUserAsync(t.Account, "alice", null, null, null, default);
        var created = await t.Iam.CreateVirtualMfaDeviceAsync(t.Account, "alice", null, null, default);
        var seed = FromBase32(created.Base32Seed);
        var step = Totp.Step(t.Clock.UtcNow);
        var serial = created.Device.SerialNumber;

        var reversed = await Assert.ThrowsAsync<AwsException>(() => t.Iam.EnableMfaDeviceAsync(t.Account, "alice", serial,
            Totp.Code(seed, step), Totp.Code(seed, step - 1), default));
        var stale = await Assert.ThrowsAsync<AwsException>(() => t.Iam.EnableMfaDeviceAsync(t.Account, "alice", serial,
            Totp.Code(seed, step - 5), Totp.Code(seed, step - 4), default));
        await t.Iam.EnableMfaDeviceAsync(t.Account, "alice", serial, Totp.Code(seed, step - 1), Totp.Code(seed, step), default);
        var listed = await t.Iam.ListMfaDevicesAsync(t.Account, "alice", default);
        var again = await Assert.ThrowsAsync<AwsException>(() => t.Iam.EnableMfaDeviceAsync(t.Account, "alice", serial,
            Totp.Code(seed, step - 1), Totp.Code(seed, step), default));

        Assert.Equal(("InvalidAuthenticationCode", 403, "Authentication code for device is not valid."),
            (reversed.Code, reversed.StatusCode!.Value, reversed.Message));
        Assert.Equal("InvalidAuthenticationCode", stale.Code);
        Assert.Equal((serial, "alice", t.Clock.UtcNow), (listed.Single().SerialNumber, listed.Single().UserName, listed.Single().EnableDate!.Value));
        Assert.Equal("EntityAlreadyExists", again.Code);
    }

    [Fact]
    public async Task EnableMfaDevice_CodesOneStepAhead_AreAccepted()
    {
        var t = await TestIam.CreateAsync();
        await t.Iam.CreateUserAsync(t.Account, "bob", null, null, null, default);
        var created = await t.Iam.CreateVirtualMfaDeviceAsync(t.Account, "bob", null, null, default);
        var seed = FromBase32(created.Base32Seed);
        var step = Totp.Step(t.Clock.UtcNow);

        await t.Iam.EnableMfaDeviceAsync(t.Account, "bob", created.Device.SerialNumber, Totp.Code(seed, step), Totp.Code(seed, step + 1), default);

        Assert.Single(await t.Iam.ListMfaDevicesAsync(t.Account, "bob", default));
    }

    [Fact]
    public async Task DeleteVirtualMfaDevice_WhileEnabled_DeleteConflict_AfterDeactivate_Deleted()
    {
        var t = await TestIam.CreateAsync();
        var (serial, _) = await EnabledDeviceAsync(t, "carol");

        var conflict = await Assert.ThrowsAsync<AwsException>(() => t.Iam.DeleteVirtualMfaDeviceAsync(t.Account, serial, default));
        var userConflict = await Assert.ThrowsAsync<AwsException>(() => t.Iam.DeleteUserAsync(t.Account, "carol", default));
        var assigned = await t.Iam.ListVirtualMfaDevicesAsync(t.Account, "Assigned", default);
        await t.Iam.DeactivateMfaDeviceAsync(t.Account, "carol", serial, default);
        var unassigned = await t.Iam.ListVirtualMfaDevicesAsync(t.Account, "Unassigned", default);
        await t.Iam.DeleteVirtualMfaDeviceAsync(t.Account, serial, default);
        var missing = await Assert.ThrowsAsync<AwsException>(() => t.Iam.DeleteVirtualMfaDeviceAsync(t.Account, serial, default));

        Assert.Equal(("DeleteConflict", 409, "MFA Device is still in use."), (conflict.Code, conflict.StatusCode!.Value, conflict.Message));
        Assert.Equal("DeleteConflict", userConflict.Code);
        Assert.Equal(serial, assigned.Single().SerialNumber);
        Assert.Equal(serial, unassigned.Single().SerialNumber);
        Assert.Equal(("NoSuchEntity", 404), (missing.Code, missing.StatusCode!.Value));
        Assert.Empty(await t.Iam.ListVirtualMfaDevicesAsync(t.Account, "Any", default));
    }

    [Fact]
    public async Task ListVirtualMfaDevices_BadStatus_ValidationError()
    {
        var t = await TestIam.CreateAsync();

        var e = await Assert.ThrowsAsync<AwsException>(() => t.Iam.ListVirtualMfaDevicesAsync(t.Account, "Some", default));

        Assert.Equal("ValidationError", e.Code);
    }

    [Fact]
    public async Task GetSessionToken_WithMfa_SessionCarriesMfa_WrongCode_AccessDenied()
    {
        var t = await TestIam.CreateAsync();
        var (serial, seed) = await EnabledDeviceAsync(t, "dave");
        var user = await t.Iam.GetUserAsync(t.Account, "dave", default);
        var issuer = new SessionIssuer(t.Iam, new IamAuthorizer(t.Iam, t.Accounts), t.Accounts, t.Clock);
        var ctx = t.Context(t.UserPrincipal(user), StsModel.Service.Operations["GetSessionToken"]);
        var step = Totp.Step(t.Clock.UtcNow);
        var wrongCode = Totp.Code(seed, step + 7);

        var wrong = await Assert.ThrowsAsync<AwsException>(() => issuer.GetSessionTokenAsync(ctx, 900, serial, wrongCode));
        var unknown = await Assert.ThrowsAsync<AwsException>(() =>
            issuer.GetSessionTokenAsync(ctx, 900, $"arn:aws:iam::{t.Account}:mfa/nobody", Totp.Code(seed, step)));
        var issued = await issuer.GetSessionTokenAsync(ctx, 900, serial, Totp.Code(seed, step));
        var plain = await issuer.GetSessionTokenAsync(ctx, 900);
        var session = SessionContext.FromJson((await t.Accounts.FindAccessKeyAsync(issued.Key.Key.AccessKeyId, default))!.Key.Session)!;
        var plainSession = SessionContext.FromJson((await t.Accounts.FindAccessKeyAsync(plain.Key.Key.AccessKeyId, default))!.Key.Session)!;
        var keys = new ConditionKeys();
        session.AddMfaConditionKeys(keys, t.Clock.UtcNow.AddSeconds(42));
        var plainKeys = new ConditionKeys();
        plainSession.AddMfaConditionKeys(plainKeys, t.Clock.UtcNow);

        Assert.Equal(("AccessDenied", 403, "MultiFactorAuthentication failed with invalid MFA one time pass code."),
            (wrong.Code, wrong.StatusCode!.Value, wrong.Message));
        Assert.Equal(("AccessDenied", "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA serial number is valid and associated with this user."),
            (unknown.Code, unknown.Message));
        Assert.Equal(t.Clock.UtcNow, session.MfaAuthenticatedAt);
        Assert.Equal(["true"], keys["aws:MultiFactorAuthPresent"]);
        Assert.Equal(["42"], keys["aws:MultiFactorAuthAge"]);
        Assert.Equal(["false"], plainKeys["aws:MultiFactorAuthPresent"]);
        Assert.False(plainKeys.ContainsKey("aws:MultiFactorAuthAge"));
    }

    [Fact]
    public async Task AssumeRole_TrustRequiresMfa_DeniedWithout_AllowedWithCode()
    {
        var t = await TestIam.CreateAsync();
        var (serial, seed) = await EnabledDeviceAsync(t, "erin");
        var user = await t.Iam.GetUserAsync(t.Account, "erin", default);
        await t.Iam.PutInlinePolicyAsync(t.Account, EntityKind.User, "erin", "assume",
            """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}""", default);
        var role = await t.Iam.CreateRoleAsync(t.Account, "mfa-only", null,
            $$$$"""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::{{{{t.Account}}}}:root"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}""",
            null, null, null, null, default);
        var issuer = new SessionIssuer(t.Iam, new IamAuthorizer(t.Iam, t.Accounts), t.Accounts, t.Clock);
        var ctx = t.Context(t.UserPrincipal(user), StsModel.Service.Operations["AssumeRole"]);

        var denied = await Assert.ThrowsAsync<AwsException>(() => issuer.AssumeRoleAsync(ctx,
            new AssumeRoleInput(role.Arn, "sess", null, null, null, null, null)));
        var issued = await issuer.AssumeRoleAsync(ctx, new AssumeRoleInput(role.Arn, "sess", null, null, null, null, null,
            serial, Totp.Code(seed, Totp.Step(t.Clock.UtcNow))));
        var session = SessionContext.FromJson((await t.Accounts.FindAccessKeyAsync(issued.Key.Key.AccessKeyId, default))!.Key.Session)!;

        Assert.Equal("AccessDenied", denied.Code);
        Assert.Equal(t.Clock.UtcNow, session.MfaAuthenticatedAt);
    }

    [Fact]
    public void GetSessionToken_NeedsNoPermission()
    {
        var (mode, _) = ActionMap.Resolve(StsModel.Service.Operations["GetSessionToken"], new Kiln.Model.Sts.GetSessionTokenRequest(),
            "123456789012", "us-east-1");

        Assert.Equal(ActionMap.Mode.Unconditional, mode);
    }

    // ---- helpers -------------------------------------------------------------------------------

    private static async Task<(string Serial, byte[] Seed)> EnabledDeviceAsync(TestIam t, string userName)
    {
        await t.Iam.CreateUserAsync(t.Account, userName, null, null, null, default);
        var created = await t.Iam.CreateVirtualMfaDeviceAsync(t.Account, userName, null, null, default);
        var seed = FromBase32(created.Base32Seed);
        var step = Totp.Step(t.Clock.UtcNow);
        await t.Iam.EnableMfaDeviceAsync(t.Account, userName, created.Device.SerialNumber, Totp.Code(seed, step - 1),
            Totp.Code(seed, step), default);
        return (created.Device.SerialNumber, seed);
    }

    internal static byte[] FromBase32(string text)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var bytes = new List<byte>();
        int buffer = 0, bits = 0;
        foreach (var c in text)
        {
            buffer = (buffer << 5) | alphabet.IndexOf(c, StringComparison.Ordinal);
            bits += 5;
            if (bits >= 8)
            {
                bytes.Add((byte)(buffer >> (bits - 8)));
                bits -= 8;
            }
        }

        return [.. bytes];
    }

    /// <summary>Decodes the PNG (signature, chunk CRCs, zlib data) and checks the QR symbol's fixed
    /// structure: three finder patterns, timing patterns, the dark module, and the two copies of the
    /// format information, which must be a valid BCH codeword for error correction level M.</summary>
    internal static void AssertValidQrPng(byte[] png)
    {
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        int width = 0, height = 0;
        using var idat = new MemoryStream();
        for (var pos = 8; pos < png.Length;)
        {
            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos));
            var type = Encoding.ASCII.GetString(png, pos + 4, 4);
            var data = png.AsSpan(pos + 8, length);
            var crc = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos + 8 + length));
            Assert.Equal(crc, QrPng.Crc32(0xFFFFFFFF, png.AsSpan(pos + 4, length + 4)) ^ 0xFFFFFFFF);
            if (type == "IEND")
            {
                Assert.Equal(0xAE426082u, crc); // the CRC every PNG's empty IEND chunk has
            }

            if (type == "IHDR")
            {
                width = (int)BinaryPrimitives.ReadUInt32BigEndian(data);
                height = (int)BinaryPrimitives.ReadUInt32BigEndian(data[4..]);
                Assert.Equal((8, 0), (data[8], data[9]));
            }
            else if (type == "IDAT")
            {
                idat.Write(data);
            }

            pos += 12 + length;
        }

        Assert.Equal(width, height);
        idat.Position = 0;
        using var z = new ZLibStream(idat, CompressionMode.Decompress);
        using var raw = new MemoryStream();
        z.CopyTo(raw);
        var pixels = raw.ToArray();
        Assert.Equal(height * (width + 1), pixels.Length);

        const int scale = 4, quiet = 4;
        var size = width / scale - 2 * quiet;
        Assert.Equal(0, (size - 17) % 4);
        bool Dark(int x, int y) => pixels[((y + quiet) * scale + 1) * (width + 1) + 1 + (x + quiet) * scale + 1] == 0;

        foreach (var (cx, cy) in new[] { (3, 3), (size - 4, 3), (3, size - 4) })
        {
            for (var dy = -3; dy <= 3; dy++)
            {
                for (var dx = -3; dx <= 3; dx++)
                {
                    var ring = Math.Max(Math.Abs(dx), Math.Abs(dy));
                    Assert.Equal(ring != 2, Dark(cx + dx, cy + dy));
                }
            }
        }

        for (var i = 8; i < size - 8; i++)
        {
            Assert.Equal(i % 2 == 0, Dark(i, 6));
            Assert.Equal(i % 2 == 0, Dark(6, i));
        }

        Assert.True(Dark(8, size - 8));
        int first = 0, second = 0;
        (int X, int Y)[] copy1 = [(8, 0), (8, 1), (8, 2), (8, 3), (8, 4), (8, 5), (8, 7), (8, 8), (7, 8), (5, 8), (4, 8), (3, 8), (2, 8), (1, 8), (0, 8)];
        for (var i = 0; i < 15; i++)
        {
            first |= (Dark(copy1[i].X, copy1[i].Y) ? 1 : 0) << i;
            var (x2, y2) = i < 8 ? (size - 1 - i, 8) : (8, size - 15 + i);
            second |= (Dark(x2, y2) ? 1 : 0) << i;
        }

        Assert.Equal(first, second);
        var format = first ^ 0x5412;
        var data5 = format >> 10;
        var rem = data5;
        for (var i = 0; i < 10; i++)
        {
            rem = (rem << 1) ^ ((rem >> 9) * 0x537);
        }

        Assert.Equal((data5 << 10) | (rem & 0x3FF), format);
        Assert.Equal(0, data5 >> 3); // error correction level M
    }
}
