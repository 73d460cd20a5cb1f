using System.Text.Json;

namespace Kiln.Policy;

/// <summary>
/// Parses and validates policy documents with the grammar of "IAM JSON policy element reference" and
/// IAM's <c>MalformedPolicyDocument</c> wording. Messages come from AWS as observed by tools that
/// test against it (moto's <c>iam/policy_validation.py</c>, verified against IAM; Versity's trust
/// policy validator); where IAM's check order is unknown we follow moto's: syntax, version, SID
/// uniqueness, actions, resources, resource format, action format.
/// Runs when a policy is written, never per request, so it favours clarity over speed.
/// </summary>
internal static class PolicyParser
{
    public const string Version2012 = "2012-10-17";
    public const string Version2008 = "2008-10-17";

    internal static class Messages
    {
        public const string InvalidJson = "This policy contains invalid Json";
        public const string Syntax = "Syntax errors in policy.";
        public const string Version = "Policy document must be version 2012-10-17 or greater.";
        public const string NoPrincipalAllowed = "Policy document should not specify a principal.";
        public const string MissingEffect = "Missing required field Effect";
        public const string MissingPrincipal = "Missing required field Principal";
        public const string EmptyPrincipal = "Missing required field Principal cannot be empty!";
        public const string LegacyParsing = "The policy failed legacy parsing";
        public const string DuplicateSid = "Statement IDs (SID) in a single policy must be unique.";
        public const string NoActions = "Policy statement must contain actions.";
        public const string NoResources = "Policy statement must contain resources.";
        public const string ActionVendor = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.";
        public const string ActionColons = "Actions/Condition can contain only one colon.";
        public const string ResourceVendor = "Resource vendor must be fully qualified and cannot contain regexes.";
        public const string TrustActions = "AssumeRole policy may only specify STS AssumeRole actions.";
        public const string TrustResource = "Has prohibited field Resource";
        public const string TrustNotResource = "AssumeRole policy must not contain resources.";
        public const string TrustMissingAction = "Missing required field Action";
        public const string TrustNotPrincipal = "AssumeRole policy must not contain NotPrincipal field.";
        public const string AllowNotPrincipal = "Allow with NotPrincipal is not allowed.";
        public const string PrincipalNotObject = "Principal must be a JSON object.";
        public const string InvalidPrincipal = "Invalid principal in policy";
    }

    private static readonly HashSet<string> s_topElements = ["Version", "Id", "Statement"];
    private static readonly HashSet<string> s_statementElements =
        ["Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Principal", "NotPrincipal", "Condition"];

    public static Policy Parse(string json, PolicyKind kind, string? name)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = false, MaxDepth = 16 });
        }
        catch (JsonException)
        {
            throw Fail(Messages.InvalidJson);
        }
        using (doc)
        {
            return ParseRoot(doc.RootElement, kind, name);
        }
    }

    private static Policy ParseRoot(JsonElement root, PolicyKind kind, string? name)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw Fail(Messages.Syntax);
        }
        string? version = null, id = null;
        JsonElement? statementEl = null;
        foreach (var p in root.EnumerateObject())
        {
            if (!s_topElements.Contains(p.Name))
            {
                throw Fail(Messages.Syntax);
            }
            switch (p.Name)
            {
                case "Version":
                    version = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : throw Fail(Messages.Syntax);
                    if (version is not (Version2012 or Version2008))
                    {
                        throw Fail(Messages.Syntax);
                    }
                    break;
                case "Id":
                    id = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : throw Fail(Messages.Syntax);
                    break;
                default:
                    statementEl = p.Value;
                    break;
            }
        }
        // Statement: "a single statement or an array of individual statements" ("Statement").
        var rawStatements = statementEl switch
        {
            { ValueKind: JsonValueKind.Object } o => [o],
            { ValueKind: JsonValueKind.Array } a => a.EnumerateArray().ToArray(),
            _ => throw Fail(Messages.Syntax),
        };
        if (rawStatements.Length == 0 || Array.Exists(rawStatements, s => s.ValueKind != JsonValueKind.Object))
        {
            throw Fail(Messages.Syntax);
        }
        foreach (var s in rawStatements)
        {
            CheckStatementSyntax(s, kind);
        }
        // IAM only accepts current-language identity policies; resource and trust policies may still
        // say 2008-10-17 or omit Version ("IAM JSON policy elements: Version").
        if (kind == PolicyKind.Identity && version != Version2012)
        {
            throw Fail(Messages.Version);
        }
        var variables = version == Version2012;
        var sids = new HashSet<string>(StringComparer.Ordinal);
        var statements = new PolicyStatement[rawStatements.Length];
        for (var i = 0; i < rawStatements.Length; i++)
        {
            var sid = rawStatements[i].TryGetProperty("Sid", out var sidEl) ? sidEl.GetString() : null;
            if (!string.IsNullOrEmpty(sid) && !sids.Add(sid))
            {
                throw Fail(Messages.DuplicateSid);
            }
        }
        for (var i = 0; i < rawStatements.Length; i++)
        {
            statements[i] = ParseStatement(i, rawStatements[i], kind, variables);
        }
        return new Policy(version, id, kind, statements) { Name = name };
    }

    /// <summary>Structural checks that IAM reports before anything else.</summary>
    private static void CheckStatementSyntax(JsonElement s, PolicyKind kind)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in s.EnumerateObject())
        {
            if ((p.Name is "Principal" or "NotPrincipal") && kind == PolicyKind.Identity)
            {
                throw Fail(Messages.NoPrincipalAllowed);
            }
            if (!s_statementElements.Contains(p.Name) || !seen.Add(p.Name))
            {
                throw Fail(Messages.Syntax);
            }
            switch (p.Name)
            {
                case "Sid":
                case "Effect":
                    if (p.Value.ValueKind != JsonValueKind.String)
                    {
                        throw Fail(Messages.Syntax);
                    }
                    break;
                case "Action" or "NotAction" or "Resource" or "NotResource":
                    StringList(p.Value);
                    break;
                case "Condition":
                    CheckConditionSyntax(p.Value);
                    break;
            }
        }
        if ((seen.Contains("Action") && seen.Contains("NotAction"))
            || (seen.Contains("Resource") && seen.Contains("NotResource"))
            || (seen.Contains("Principal") && seen.Contains("NotPrincipal")))
        {
            throw Fail(Messages.Syntax);
        }
        if (!seen.Contains("Effect"))
        {
            throw Fail(Messages.MissingEffect);
        }
    }

    private static void CheckConditionSyntax(JsonElement c)
    {
        if (c.ValueKind != JsonValueKind.Object)
        {
            throw Fail(Messages.Syntax);
        }
        foreach (var op in c.EnumerateObject())
        {
            if (op.Value.ValueKind != JsonValueKind.Object)
            {
                throw Fail(Messages.Syntax);
            }
            // moto (matching IAM) tolerates an unknown operator only when its block is empty.
            if (!Condition.TryParseOperator(op.Name, out _, out _, out _) && op.Value.EnumerateObject().Any())
            {
                throw Fail(Messages.Syntax);
            }
            foreach (var key in op.Value.EnumerateObject())
            {
                ConditionValues(key.Value);
            }
        }
    }

    private static PolicyStatement ParseStatement(int index, JsonElement s, PolicyKind kind, bool variables)
    {
        var sid = s.TryGetProperty("Sid", out var sidEl) ? sidEl.GetString() : null;
        var effectText = s.GetProperty("Effect").GetString();
        // Effect is case-sensitive; a differently cased value fails IAM's "legacy parsing".
        var effect = effectText switch
        {
            "Allow" => Effect.Allow,
            "Deny" => Effect.Deny,
            _ when string.Equals(effectText, "allow", StringComparison.OrdinalIgnoreCase)
                || string.Equals(effectText, "deny", StringComparison.OrdinalIgnoreCase) => throw Fail(Messages.LegacyParsing),
            _ => throw Fail(Messages.Syntax),
        };

        var notAction = s.TryGetProperty("NotAction", out var actionEl);
        if (!notAction && !s.TryGetProperty("Action", out actionEl))
        {
            throw Fail(kind == PolicyKind.Trust ? Messages.TrustMissingAction : Messages.NoActions);
        }
        var actions = StringList(actionEl);
        if (actions.Length == 0)
        {
            throw Fail(kind == PolicyKind.Trust ? Messages.TrustMissingAction : Messages.NoActions);
        }

        var notResource = s.TryGetProperty("NotResource", out var resEl);
        var hasResource = notResource || s.TryGetProperty("Resource", out resEl);
        string[] resources = [];
        if (kind == PolicyKind.Trust)
        {
            if (hasResource)
            {
                throw Fail(notResource ? Messages.TrustNotResource : Messages.TrustResource);
            }
        }
        else
        {
            resources = hasResource ? StringList(resEl) : [];
            if (resources.Length == 0)
            {
                throw Fail(Messages.NoResources);
            }
            foreach (var r in resources)
            {
                CheckResource(r);
            }
        }

        foreach (var a in actions)
        {
            CheckAction(a, kind);
        }

        var (principals, notPrincipal) = ParsePrincipal(s, kind, effect);
        var conditions = s.TryGetProperty("Condition", out var condEl) ? ParseConditions(condEl, variables) : [];

        return new PolicyStatement(
            index, sid, effect,
            Array.ConvertAll(actions, a => new CompiledPattern(Wildcard.EscapeBackslashes(a), ignoreCase: true, arn: false)),
            notAction,
            Array.ConvertAll(resources, r => PolicyString.Parse(r, variables, ignoreCase: false, arn: true)),
            notResource, hasResource, principals, notPrincipal, conditions);
    }

    /// <summary>Action format ("IAM JSON policy elements: Action"): <c>*</c> or <c>vendor:action</c>.</summary>
    private static void CheckAction(string a, PolicyKind kind)
    {
        if (a == "*" && kind != PolicyKind.Trust)
        {
            return;
        }
        var parts = a.Split(':');
        if (parts.Length == 1)
        {
            throw Fail(Messages.ActionVendor);
        }
        if (parts.Length > 2)
        {
            throw Fail(Messages.ActionColons);
        }
        if (parts[0].Length == 0 || !parts[0].All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.'))
        {
            throw Fail($"Vendor {parts[0]} is not valid");
        }
        if (kind == PolicyKind.Trust && !string.Equals(parts[0], "sts", StringComparison.OrdinalIgnoreCase))
        {
            throw Fail(Messages.TrustActions);
        }
    }

    /// <summary>Resource format ("IAM JSON policy elements: Resource"): <c>*</c> or an ARN whose
    /// partition and vendor are spelled out.</summary>
    private static void CheckResource(string r)
    {
        if (r == "*")
        {
            return;
        }
        var parts = r.Split(':');
        if (parts.Length < 2)
        {
            throw Fail($"Resource {r} must be in ARN format or \"*\".");
        }
        if (parts[0] != "arn")
        {
            throw Fail($"Resource {r} must be in ARN format or \"*\".");
        }
        if (parts[1] is not ("aws" or "aws-cn" or "aws-us-gov"))
        {
            string At(int i) => parts.Length > i && (parts[i].Length > 0 || parts.Length > i + 1) ? parts[i] : "*";
            var tail = parts.Length > 5 ? string.Join(':', parts[5..]) : "*";
            throw Fail($"Partition \"{parts[1]}\" is not valid for resource \"arn:{parts[1]}:{At(2)}:{At(3)}:{At(4)}:{tail}\".");
        }
        if (parts.Length < 3 || parts[2].Length == 0 || parts[2].Contains('*') || parts[2].Contains('?'))
        {
            throw Fail(Messages.ResourceVendor);
        }
        if (parts[2] == "iam" && parts.Length > 3 && parts[3].Length > 0)
        {
            throw Fail($"IAM resource {r} cannot contain region information.");
        }
        if (parts[2] == "s3" && parts.Length > 3 && parts[3].Length > 0)
        {
            throw Fail($"Resource {r} can not contain region information.");
        }
        if (parts.Length < 6)
        {
            throw Fail(Messages.LegacyParsing);
        }
    }

    private static (PrincipalEntry[]?, bool) ParsePrincipal(JsonElement s, PolicyKind kind, Effect effect)
    {
        if (kind == PolicyKind.Identity)
        {
            return (null, false);
        }
        var not = s.TryGetProperty("NotPrincipal", out var el);
        if (not)
        {
            // "AWS JSON policy elements: NotPrincipal": only with Deny; never in a trust policy.
            if (effect == Effect.Allow)
            {
                throw Fail(Messages.AllowNotPrincipal);
            }
            if (kind == PolicyKind.Trust)
            {
                throw Fail(Messages.TrustNotPrincipal);
            }
        }
        else if (!s.TryGetProperty("Principal", out el))
        {
            throw Fail(Messages.MissingPrincipal);
        }
        if (el.ValueKind == JsonValueKind.String)
        {
            if (el.GetString() == "*" && kind != PolicyKind.Trust)
            {
                return ([new PrincipalEntry(PrincipalEntryKind.Everyone, "*")], not);
            }
            throw Fail(kind == PolicyKind.Trust ? Messages.PrincipalNotObject : Messages.InvalidPrincipal);
        }
        if (el.ValueKind != JsonValueKind.Object)
        {
            throw Fail(Messages.Syntax);
        }
        var entries = new List<PrincipalEntry>();
        foreach (var p in el.EnumerateObject())
        {
            var kindOf = p.Name switch
            {
                "AWS" => PrincipalEntryKind.Arn,
                "Service" => PrincipalEntryKind.Service,
                "Federated" => PrincipalEntryKind.Federated,
                "CanonicalUser" when kind != PolicyKind.Trust => PrincipalEntryKind.CanonicalUser,
                _ => throw Fail($"{Messages.InvalidPrincipal}: \"{p.Name}\""),
            };
            foreach (var v in StringList(p.Value))
            {
                if (kindOf != PrincipalEntryKind.Arn)
                {
                    if (v.Length == 0 || v.Contains('*'))
                    {
                        throw Fail($"{Messages.InvalidPrincipal}: \"{p.Name}\":\"{v}\"");
                    }
                    entries.Add(new PrincipalEntry(kindOf, v));
                    continue;
                }
                entries.Add(PrincipalEntry.ParseAws(v) ?? throw Fail($"{Messages.InvalidPrincipal}: \"AWS\":\"{v}\""));
            }
        }
        if (entries.Count == 0)
        {
            throw Fail(Messages.EmptyPrincipal);
        }
        return (entries.ToArray(), not);
    }

    private static Condition[] ParseConditions(JsonElement c, bool variables)
    {
        var list = new List<Condition>();
        foreach (var op in c.EnumerateObject())
        {
            if (!Condition.TryParseOperator(op.Name, out var kind, out var set, out var ifExists))
            {
                continue; // an empty block under an unknown operator (see CheckConditionSyntax)
            }
            foreach (var key in op.Value.EnumerateObject())
            {
                var values = ConditionValues(key.Value);
                if (kind is >= OperatorKind.DateEquals and <= OperatorKind.DateGreaterThanEquals
                    && Array.Exists(values, v => Condition.ParseDate(v) is null))
                {
                    // moto: an unparsable date fails IAM's legacy parsing.
                    throw Fail(Messages.LegacyParsing);
                }
                list.Add(new Condition(kind, set, ifExists, key.Name, values, variables));
            }
        }
        return list.ToArray();
    }

    /// <summary>A string or an array of strings, as AWS allows for Action, Resource and principal values.</summary>
    private static string[] StringList(JsonElement e)
    {
        if (e.ValueKind == JsonValueKind.String)
        {
            return [e.GetString()!];
        }
        if (e.ValueKind != JsonValueKind.Array)
        {
            throw Fail(Messages.Syntax);
        }
        var list = new string[e.GetArrayLength()];
        var i = 0;
        foreach (var item in e.EnumerateArray())
        {
            list[i++] = item.ValueKind == JsonValueKind.String ? item.GetString()! : throw Fail(Messages.Syntax);
        }
        return list;
    }

    /// <summary>Condition values may also be JSON numbers and booleans
    /// (<c>"aws:SecureTransport": false</c>, <c>"s3:max-keys": 10</c>), compared as their text.</summary>
    private static string[] ConditionValues(JsonElement e)
    {
        static string One(JsonElement v) => v.ValueKind switch
        {
            JsonValueKind.String => v.GetString()!,
            JsonValueKind.Number => v.GetRawText(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            _ => throw Fail(Messages.Syntax),
        };
        if (e.ValueKind != JsonValueKind.Array)
        {
            return [One(e)];
        }
        return e.EnumerateArray().Select(One).ToArray();
    }

    private static MalformedPolicyDocumentException Fail(string message) => new(message);
}
