using Kiln.Core;
using Kiln.Core.Shapes;
using Kiln.Services.Iam.Domain;
using Kiln.Services.Iam.Storage;
using Kiln.Storage.Accounts;

namespace Kiln.Services.Iam.Tests;

internal sealed class TestClock : IClock
{
    public DateTimeOffset UtcNow { get; set; } = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
}

/// <summary>An IAM directory over in-memory stores with one account of its own.</summary>
internal sealed class TestIam
{
    public TestClock Clock { get; } = new();
    public MemoryAccountStore Accounts { get; }
    public IamDirectory Iam { get; }
    public string Account { get; private set; } = "";

    private TestIam()
    {
        Accounts = new MemoryAccountStore(Clock);
        Iam = new IamDirectory(new MemoryIamStore(), Accounts, Clock);
    }

    public static async Task<TestIam> CreateAsync()
    {
        var t = new TestIam();
        var created = await t.Accounts.CreateAccountAsync("acct" + Guid.NewGuid().ToString("N")[..8], null, null, default);
        t.Account = created.Account.AccountId;
        return t;
    }

    public RequestContext Context(Principal principal, OperationInfo operation) => new()
    {
        RequestId = "req",
        Principal = principal,
        Region = "us-east-1",
        Operation = operation,
        ReceivedAt = Clock.UtcNow,
    };

    public Principal Root => new(Account, $"arn:aws:iam::{Account}:root", Account, PrincipalKind.Root, "AKIAROOT");

    public Principal UserPrincipal(IamUser user, string keyId = "AKIAUSER") =>
        new(Account, user.Arn, user.Id, PrincipalKind.IamUser, keyId);
}
