using System.Text;
using System.Text.Json;
using Kiln.Policy;

namespace Kiln.Services.Iam.Domain;

/// <summary>One policy document given to the simulator, with the identifier and type the results
/// name it by (SourcePolicyId / SourcePolicyType; the type is null for PolicyInputList entries).</summary>
public sealed record SimulatedPolicy(string Id, string? Type, string Document);

/// <summary>A statement that decided a result, with its place in the source document: 1-based lines
/// and columns just after its opening and its closing brace. That is where AWS puts them: in the
/// aws CLI's simulate-custom-policy example, a one-line document whose statement's braces are the
/// 37th and 166th characters reports StartPosition 1:38 and EndPosition 1:167.</summary>
public sealed record MatchedStatement(string SourcePolicyId, string? SourcePolicyType, int StartLine, int StartColumn,
    int EndLine, int EndColumn);

/// <summary>The outcome for one action and resource: "allowed", "explicitDeny" or "implicitDeny".</summary>
public sealed record SimulationResult(string Action, string Resource, string Decision, IReadOnlyList<MatchedStatement> MatchedStatements,
    IReadOnlyList<string> MissingContextValues, bool? AllowedByPermissionsBoundary);

/// <summary>Who the simulated caller is and what the request carries.</summary>
public sealed record SimulationCaller(string PrincipalArn, PrincipalType Type, string Account, string? UserName,
    string? RoleArn, IReadOnlyDictionary<string, string>? Tags);

/// <summary>
/// SimulatePrincipalPolicy and SimulateCustomPolicy: runs Kiln.Policy's evaluator — the same one the
/// gateway enforces with — for every action × resource, and names the statements that decided each
/// result. A statement "matches" when it alone would decide the request the way the whole set did:
/// for an allow, every Allow statement that grants it; for an explicit deny, every Deny statement
/// that applies. Context entries become condition keys; keys the applicable statements test that the
/// caller did not supply (and the simulator cannot derive) are listed as missing.
/// </summary>
public sealed class PolicySimulator
{
    // Keys the simulator answers from the caller itself.
    private static readonly HashSet<string> s_derivedKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        "aws:username", "aws:userid", "aws:PrincipalArn", "aws:PrincipalAccount", "aws:PrincipalType",
        "aws:CurrentTime", "aws:EpochTime",
    };

    private readonly List<Source> _identity;
    private readonly Source? _boundary;
    private readonly Source? _resource;

    private sealed record Piece(Policy.Policy Policy, string Text, (int Line, int Column) Start, (int Line, int Column) End,
        HashSet<string> ConditionKeys, string[] Actions, bool NotAction);

    private sealed record Source(SimulatedPolicy Input, Policy.Policy Policy, List<Piece> Statements);

    /// <summary>Parses every document up front; a malformed one fails the whole call with InvalidInput.</summary>
    public PolicySimulator(IReadOnlyList<SimulatedPolicy> identity, SimulatedPolicy? boundary, SimulatedPolicy? resource)
    {
        _identity = [.. identity.Select(p => Load(p, PolicyKind.Identity))];
        _boundary = boundary is null ? null : Load(boundary, PolicyKind.Identity);
        _resource = resource is null ? null : Load(resource, PolicyKind.Resource);
    }

    public List<SimulationResult> Run(SimulationCaller caller, IReadOnlyList<string> actions, IReadOnlyList<string> resources,
        ConditionKeys context, string? resourceAccount, DateTimeOffset now)
    {
        var results = new List<SimulationResult>();
        IReadOnlyList<string> targets = resources.Count == 0 ? ["*"] : resources;
        foreach (var action in actions)
        {
            foreach (var resource in targets)
            {
                results.Add(Evaluate(caller, action, resource, context, resourceAccount, now));
            }
        }

        return results;
    }

    private SimulationResult Evaluate(SimulationCaller caller, string action, string resource, ConditionKeys context,
        string? resourceAccount, DateTimeOffset now)
    {
        AuthorizationRequest Request(IReadOnlyList<Policy.Policy> identity, Policy.Policy? boundary, Policy.Policy? resourcePolicy) => new()
        {
            PrincipalArn = caller.PrincipalArn,
            PrincipalAccount = caller.Account,
            PrincipalType = caller.Type,
            UserName = caller.UserName,
            RoleArn = caller.RoleArn,
            PrincipalTags = caller.Tags,
            Action = action,
            Resources = resource == "*" ? [] : [resource],
            ResourceAccount = resourceAccount,
            IdentityPolicies = identity,
            PermissionsBoundary = boundary,
            ResourcePolicy = resourcePolicy,
            Context = context,
            CurrentTime = now,
        };

        var result = PolicyEvaluator.Evaluate(Request([.. _identity.Select(s => s.Policy)], _boundary?.Policy, _resource?.Policy));
        var matched = new List<MatchedStatement>();
        if (result.Decision != Decision.ImplicitDeny)
        {
            var wanted = result.Decision;
            foreach (var source in _identity)
            {
                AddMatches(source, p => Request([p], null, null), wanted, matched);
            }

            if (wanted == Decision.ExplicitDeny && _boundary is not null)
            {
                AddMatches(_boundary, p => Request([p], null, null), wanted, matched);
            }

            if (_resource is not null)
            {
                AddMatches(_resource, p => Request([], null, p), wanted, matched);
            }
        }

        bool? byBoundary = _boundary is null
            ? null
            : PolicyEvaluator.Evaluate(Request([_boundary.Policy], null, null)).IsAllowed;
        var missing = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var source in _identity.Append(_boundary).Append(_resource))
        {
            foreach (var piece in source?.Statements ?? [])
            {
                if (!AppliesToAction(piece, action))
                {
                    continue;
                }

                foreach (var key in piece.ConditionKeys)
                {
                    if (!context.ContainsKey(key) && !s_derivedKeys.Contains(key) &&
                        !(caller.Tags is not null && key.StartsWith("aws:PrincipalTag/", StringComparison.OrdinalIgnoreCase)))
                    {
                        missing.Add(key);
                    }
                }
            }
        }

        var decision = result.Decision switch
        {
            Decision.Allow => "allowed",
            Decision.ExplicitDeny => "explicitDeny",
            _ => "implicitDeny",
        };
        return new SimulationResult(action, resource, decision, matched, [.. missing], byBoundary);

        void AddMatches(Source source, Func<Policy.Policy, AuthorizationRequest> build, Decision wanted, List<MatchedStatement> into)
        {
            foreach (var piece in source.Statements)
            {
                if (PolicyEvaluator.Evaluate(build(piece.Policy)).Decision == wanted)
                {
                    into.Add(new MatchedStatement(source.Input.Id, source.Input.Type, piece.Start.Line, piece.Start.Column,
                        piece.End.Line, piece.End.Column));
                }
            }
        }
    }

    /// <summary>Whether a statement's Action (or NotAction) covers the action, ignoring conditions and
    /// resources: the statements whose condition keys the caller should have supplied.</summary>
    private static bool AppliesToAction(Piece piece, string action)
    {
        var any = piece.Actions.Any(a => Glob(a, action));
        return piece.NotAction ? !any : any;
    }

    private static bool Glob(string pattern, string value)
    {
        int p = 0, v = 0, star = -1, mark = 0;
        while (v < value.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || char.ToLowerInvariant(pattern[p]) == char.ToLowerInvariant(value[v])))
            {
                p++;
                v++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = v;
            }
            else if (star >= 0)
            {
                p = star + 1;
                v = ++mark;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }

    // ---- documents -----------------------------------------------------------------------------

    private static Source Load(SimulatedPolicy input, PolicyKind kind)
    {
        Policy.Policy whole;
        try
        {
            whole = Policy.Policy.Parse(input.Document, kind, input.Id);
        }
        catch (MalformedPolicyDocumentException e)
        {
            throw IamErrors.InvalidInput($"{input.Id}: {e.Message}");
        }

        var bytes = Encoding.UTF8.GetBytes(input.Document);
        var pieces = new List<Piece>();
        var version = whole.Version;
        foreach (var (start, end) in StatementSpans(bytes))
        {
            var text = Encoding.UTF8.GetString(bytes, start, end - start);
            var single = version is null
                ? $$"""{"Statement":[{{text}}]}"""
                : $$"""{"Version":"{{version}}","Statement":[{{text}}]}""";
            using var doc = JsonDocument.Parse(text);
            var (actions, notAction) = ActionsOf(doc.RootElement);
            pieces.Add(new Piece(Policy.Policy.Parse(single, kind, input.Id), text, Position(bytes, start + 1), Position(bytes, end),
                ConditionKeysOf(doc.RootElement), actions, notAction));
        }

        return new Source(input, whole, pieces);
    }

    /// <summary>Byte ranges of each statement object: the Statement member is one object or an array of them.</summary>
    private static List<(int Start, int End)> StatementSpans(byte[] json)
    {
        var spans = new List<(int, int)>();
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1 && reader.ValueTextEquals("Statement"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    var start = (int)reader.TokenStartIndex;
                    reader.Skip();
                    spans.Add((start, (int)reader.TokenStartIndex + 1));
                }
                else if (reader.TokenType == JsonTokenType.StartArray)
                {
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        var start = (int)reader.TokenStartIndex;
                        reader.Skip();
                        if (json[start] == (byte)'{')
                        {
                            spans.Add((start, (int)reader.TokenStartIndex + 1));
                        }
                    }
                }
                else
                {
                    reader.Skip();
                }
            }
            else if (reader.CurrentDepth >= 1 && reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                reader.Skip();
            }
        }

        return spans;
    }

    private static (int Line, int Column) Position(byte[] json, int offset)
    {
        int line = 1, lineStart = 0;
        for (var i = 0; i < offset; i++)
        {
            if (json[i] == (byte)'\n')
            {
                line++;
                lineStart = i + 1;
            }
        }

        return (line, Encoding.UTF8.GetCharCount(json, lineStart, offset - lineStart) + 1);
    }

    private static (string[] Actions, bool NotAction) ActionsOf(JsonElement statement)
    {
        foreach (var (name, notAction) in new[] { ("Action", false), ("NotAction", true) })
        {
            if (statement.TryGetProperty(name, out var value))
            {
                return value.ValueKind == JsonValueKind.Array
                    ? ([.. value.EnumerateArray().Select(v => v.GetString() ?? "")], notAction)
                    : ([value.GetString() ?? ""], notAction);
            }
        }

        return ([], false);
    }

    private static HashSet<string> ConditionKeysOf(JsonElement statement)
    {
        var keys = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        if (statement.TryGetProperty("Condition", out var condition) && condition.ValueKind == JsonValueKind.Object)
        {
            foreach (var op in condition.EnumerateObject())
            {
                if (op.Value.ValueKind == JsonValueKind.Object)
                {
                    foreach (var key in op.Value.EnumerateObject())
                    {
                        keys.Add(key.Name);
                    }
                }
            }
        }

        return keys;
    }
}
