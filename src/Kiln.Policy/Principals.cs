namespace Kiln.Policy;

internal enum PrincipalEntryKind : byte
{
    /// <summary><c>"*"</c> or <c>{"AWS": "*"}</c>: everyone, anonymous included.</summary>
    Everyone,
    /// <summary>An account id or <c>arn:aws:iam::ACCOUNT:root</c>: the account, which delegates to
    /// its own IAM policies.</summary>
    Account,
    /// <summary>A user, role, role session or federated user ARN.</summary>
    Arn,
    Service,
    Federated,
    CanonicalUser,
}

/// <summary>How strongly a resource policy statement named the caller; it decides whether a
/// same-account grant stands on its own (see <see cref="PolicyEvaluator"/>).</summary>
internal enum GrantKind : byte
{
    None,
    /// <summary>Matched through the account principal.</summary>
    Account,
    /// <summary>A role session matched through its role's ARN.</summary>
    RoleArn,
    /// <summary>The caller's own ARN, or <c>*</c>.</summary>
    Direct,
}

/// <summary>One value of a Principal or NotPrincipal element ("AWS JSON policy elements: Principal").
/// Principal ARNs take no wildcards: "You cannot use a wildcard to match part of a principal name or
/// ARN", so matching is exact.</summary>
internal readonly record struct PrincipalEntry(PrincipalEntryKind Kind, string Value)
{
    public GrantKind Match(RequestScope s)
    {
        var r = s.Request;
        switch (Kind)
        {
            case PrincipalEntryKind.Everyone:
                return GrantKind.Direct;
            case PrincipalEntryKind.Account:
                return r.PrincipalType is not (PrincipalType.Anonymous or PrincipalType.Service or PrincipalType.WebIdentity)
                    && string.Equals(Value, r.PrincipalAccount, StringComparison.Ordinal) ? GrantKind.Account : GrantKind.None;
            case PrincipalEntryKind.Arn:
                if (r.PrincipalType is PrincipalType.Anonymous or PrincipalType.Service or PrincipalType.WebIdentity)
                {
                    return GrantKind.None;
                }
                if (string.Equals(Value, r.PrincipalArn, StringComparison.Ordinal))
                {
                    return GrantKind.Direct;
                }
                return r.PrincipalType == PrincipalType.AssumedRole && string.Equals(Value, s.RoleArn, StringComparison.Ordinal)
                    ? GrantKind.RoleArn : GrantKind.None;
            case PrincipalEntryKind.Service:
                return r.PrincipalType == PrincipalType.Service && string.Equals(Value, r.PrincipalArn, StringComparison.Ordinal)
                    ? GrantKind.Direct : GrantKind.None;
            case PrincipalEntryKind.Federated:
                return r.PrincipalType == PrincipalType.WebIdentity && string.Equals(Value, r.PrincipalArn, StringComparison.Ordinal)
                    ? GrantKind.Direct : GrantKind.None;
            default:
                // Kiln has no canonical user ids: such a grant never matches anyone.
                return GrantKind.None;
        }
    }

    /// <summary>Parses one AWS principal value; null when it is not a valid principal.</summary>
    public static PrincipalEntry? ParseAws(string v)
    {
        if (v == "*")
        {
            return new PrincipalEntry(PrincipalEntryKind.Everyone, v);
        }
        if (v.Length == 12 && v.All(char.IsAsciiDigit))
        {
            return new PrincipalEntry(PrincipalEntryKind.Account, v);
        }
        var parts = v.Split(':', 6);
        if (parts.Length != 6 || parts[0] != "arn" || parts[1].Length == 0 || parts[3].Length != 0
            || parts[4].Length != 12 || !parts[4].All(char.IsAsciiDigit) || v.Contains('*'))
        {
            return null;
        }
        var res = parts[5];
        if (parts[2] == "iam")
        {
            if (res == "root")
            {
                return new PrincipalEntry(PrincipalEntryKind.Account, parts[4]);
            }
            return res.StartsWith("user/", StringComparison.Ordinal) || res.StartsWith("role/", StringComparison.Ordinal)
                ? new PrincipalEntry(PrincipalEntryKind.Arn, v) : null;
        }
        if (parts[2] == "sts")
        {
            return res.StartsWith("assumed-role/", StringComparison.Ordinal) || res.StartsWith("federated-user/", StringComparison.Ordinal)
                ? new PrincipalEntry(PrincipalEntryKind.Arn, v) : null;
        }
        return null;
    }
}
