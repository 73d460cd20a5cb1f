using System.Text;

namespace Kiln.Policy;

/// <summary>
/// A Resource or String/Arn condition value that may hold policy variables (IAM User Guide, "IAM
/// policy elements: Variables and tags"). Variables are parsed once; text without variables is
/// precompiled, so only values that really use <c>${...}</c> build a string per request.
/// Supported forms: <c>${key}</c>, <c>${key, 'default'}</c> ("Specifying default values"), and the
/// escapes <c>${*}</c>, <c>${?}</c>, <c>${$}</c> ("Special characters"), which stand for the literal
/// character even where <c>*</c> and <c>?</c> are wildcards.
/// Variables exist only in Version 2012-10-17; in older documents the text is literal ("Introduction":
/// "variables like ${aws:username} are treated as literal strings").
/// </summary>
internal sealed class PolicyString
{
    [ThreadStatic]
    private static StringBuilder? t_builder;

    private readonly Segment[]? _segments;

    private PolicyString(string raw, Segment[]? segments, bool ignoreCase, bool arn)
    {
        Raw = raw;
        _segments = segments;
        if (segments is null)
        {
            Literal = raw;
            Pattern = new CompiledPattern(Wildcard.EscapeBackslashes(raw), ignoreCase, arn);
        }
        else if (Array.TrueForAll(segments, s => s.Key is null))
        {
            // Only escapes: still static.
            Literal = Build(segments, null, asPattern: false)!;
            Pattern = new CompiledPattern(Build(segments, null, asPattern: true)!, ignoreCase, arn);
            _segments = null;
        }
    }

    /// <summary>The text as written in the policy.</summary>
    public string Raw { get; }

    /// <summary>Set when the value has no variables: the value as a plain string.</summary>
    public string? Literal { get; }

    /// <summary>Set when the value has no variables: the value as a compiled wildcard pattern.</summary>
    public CompiledPattern? Pattern { get; }

    public bool HasVariables => _segments is not null;

    public static PolicyString Parse(string raw, bool variables, bool ignoreCase = false, bool arn = false)
    {
        if (!variables || !raw.Contains("${", StringComparison.Ordinal))
        {
            return new PolicyString(raw, null, ignoreCase, arn);
        }
        var segments = new List<Segment>();
        var pos = 0;
        while (pos < raw.Length)
        {
            var open = raw.IndexOf("${", pos, StringComparison.Ordinal);
            var close = open < 0 ? -1 : raw.IndexOf('}', open + 2);
            if (open < 0 || close < 0)
            {
                segments.Add(new Segment(raw[pos..], null, null));
                break;
            }
            if (open > pos)
            {
                segments.Add(new Segment(raw[pos..open], null, null));
            }
            var body = raw.AsSpan(open + 2, close - open - 2).Trim();
            if (body is "*" or "?" or "$")
            {
                segments.Add(new Segment(body.ToString(), null, null) { Escape = true });
            }
            else
            {
                var comma = body.IndexOf(',');
                string key;
                string? fallback = null;
                if (comma >= 0)
                {
                    key = body[..comma].Trim().ToString();
                    var d = body[(comma + 1)..].Trim();
                    fallback = d.Length >= 2 && d[0] == '\'' && d[^1] == '\'' ? d[1..^1].ToString() : d.ToString();
                }
                else
                {
                    key = body.ToString();
                }
                segments.Add(new Segment(null, key, fallback));
            }
            pos = close + 1;
        }
        return new PolicyString(raw, segments.ToArray(), ignoreCase, arn);
    }

    /// <summary>Substitutes variables from the request. False when a variable has no value and no
    /// default: "any attempt to match it fails and causes the statement to be invalid"
    /// ("Principal key values").</summary>
    public bool TryResolve(RequestScope scope, bool asPattern, out string value)
    {
        if (_segments is null)
        {
            value = asPattern ? Pattern!.Escaped : Literal!;
            return true;
        }
        var built = Build(_segments, scope, asPattern);
        value = built ?? "";
        return built is not null;
    }

    private static string? Build(Segment[] segments, RequestScope? scope, bool asPattern)
    {
        var sb = t_builder ??= new StringBuilder(128);
        sb.Clear();
        foreach (var s in segments)
        {
            if (s.Key is null)
            {
                if (!asPattern)
                {
                    sb.Append(s.Text);
                }
                else if (s.Escape)
                {
                    Wildcard.AppendLiteral(sb, s.Text);
                }
                else
                {
                    sb.Append(Wildcard.EscapeBackslashes(s.Text!));
                }
                continue;
            }
            string? v = null;
            // "Multivalued context keys cannot be used as policy variables": only a single value resolves.
            if (scope is not null && scope.TryGetValues(s.Key, out var values) && values.Length == 1)
            {
                v = values[0];
            }
            v ??= s.Default;
            if (v is null)
            {
                return null;
            }
            // Substituted values are data, never wildcards: a tag value of "*" must not widen a grant.
            if (asPattern)
            {
                Wildcard.AppendLiteral(sb, v);
            }
            else
            {
                sb.Append(v);
            }
        }
        return sb.ToString();
    }

    public override string ToString() => Raw;

    private sealed record Segment(string? Text, string? Key, string? Default)
    {
        public bool Escape { get; init; }
    }
}
