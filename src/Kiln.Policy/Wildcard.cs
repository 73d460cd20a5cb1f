using System.Runtime.CompilerServices;

namespace Kiln.Policy;

/// <summary>How a compiled pattern is matched, picked once at parse time so the per-request path
/// takes the cheapest route (most actions are exact names or "service:Prefix*").</summary>
internal enum PatternKind : byte
{
    Any,
    Exact,
    Prefix,
    General,
}

/// <summary>
/// The IAM wildcard language: <c>*</c> matches any run of characters (including none) and <c>?</c>
/// exactly one (IAM User Guide, "IAM JSON policy elements: Action" and "Resource"). There is no other
/// syntax, so a hand-written matcher replaces regular expressions: no regex is compiled per policy or
/// per request and matching allocates nothing.
/// Patterns are stored in an internal escaped form where a backslash makes the next character
/// literal; that is how <c>${*}</c>, <c>${?}</c> and substituted variable values stay literal.
/// </summary>
internal static class Wildcard
{
    /// <summary>Escapes policy text so that its backslashes stay literal in the internal form.</summary>
    public static string EscapeBackslashes(string text) =>
        text.Contains('\\') ? text.Replace("\\", "\\\\", StringComparison.Ordinal) : text;

    /// <summary>Escapes every wildcard and backslash so the text matches only itself.</summary>
    public static void AppendLiteral(System.Text.StringBuilder sb, ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (c is '*' or '?' or '\\')
            {
                sb.Append('\\');
            }
            sb.Append(c);
        }
    }

    public static PatternKind Classify(string pattern, out string literal)
    {
        if (pattern == "*")
        {
            literal = "";
            return PatternKind.Any;
        }
        var sb = new System.Text.StringBuilder(pattern.Length);
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '\\' && i + 1 < pattern.Length)
            {
                sb.Append(pattern[++i]);
                continue;
            }
            if (c == '*' && i == pattern.Length - 1)
            {
                literal = sb.ToString();
                return PatternKind.Prefix;
            }
            if (c is '*' or '?')
            {
                literal = "";
                return PatternKind.General;
            }
            sb.Append(c);
        }
        literal = sb.ToString();
        return PatternKind.Exact;
    }

    /// <summary>Greedy matcher with single-star backtracking: O(n·m) worst case, no allocation.</summary>
    public static bool IsMatch(ReadOnlySpan<char> pattern, ReadOnlySpan<char> text, bool ignoreCase)
    {
        int p = 0, t = 0, starP = -1, starT = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length)
            {
                var c = pattern[p];
                if (c == '*')
                {
                    starP = ++p;
                    starT = t;
                    continue;
                }
                if (c == '?')
                {
                    p++;
                    t++;
                    continue;
                }
                var escaped = c == '\\' && p + 1 < pattern.Length;
                if (Same(escaped ? pattern[p + 1] : c, text[t], ignoreCase))
                {
                    p += escaped ? 2 : 1;
                    t++;
                    continue;
                }
            }
            if (starP < 0)
            {
                return false;
            }
            p = starP;
            t = ++starT;
        }
        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }
        return p == pattern.Length;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Same(char a, char b, bool ignoreCase) =>
        a == b || (ignoreCase && char.ToLowerInvariant(a) == char.ToLowerInvariant(b));

    /// <summary>
    /// ARN matching as the IAM User Guide describes for ArnLike/ArnEquals ("ARN condition operators"):
    /// each of the six colon-delimited components is matched separately, so a <c>*</c> in the account
    /// field never spills into the resource. Matching is case-sensitive ("IAM identifiers": ARNs are
    /// case sensitive). A pattern with fewer than six components matches nothing.
    /// </summary>
    public static bool ArnMatch(ReadOnlySpan<char> pattern, ReadOnlySpan<char> arn)
    {
        if (pattern is "*")
        {
            return true;
        }
        // A pattern that is neither "*" nor six components names no ARN at all.
        if (!TrySplit(pattern, out var pRanges))
        {
            return false;
        }
        if (!TrySplit(arn, out var aRanges))
        {
            return false;
        }
        for (var i = 0; i < 6; i++)
        {
            if (!IsMatch(pattern[pRanges[i]], arn[aRanges[i]], ignoreCase: false))
            {
                return false;
            }
        }
        return true;
    }

    [InlineArray(6)]
    private struct Ranges
    {
        private Range _first;
    }

    private static bool TrySplit(ReadOnlySpan<char> s, out Ranges ranges)
    {
        ranges = default;
        var start = 0;
        for (var i = 0; i < 5; i++)
        {
            var idx = s[start..].IndexOf(':');
            if (idx < 0)
            {
                return false;
            }
            ranges[i] = new Range(start, start + idx);
            start += idx + 1;
        }
        ranges[5] = new Range(start, s.Length);
        return true;
    }
}

/// <summary>A wildcard pattern compiled once at parse time (actions, resources, StringLike values).</summary>
internal sealed class CompiledPattern
{
    private readonly PatternKind _kind;
    private readonly string _literal;

    /// <param name="escaped">The pattern in the internal escaped form.</param>
    /// <param name="ignoreCase">Actions compare case-insensitively; ARNs and strings do not.</param>
    /// <param name="arn">Match component-wise as an ARN.</param>
    public CompiledPattern(string escaped, bool ignoreCase, bool arn)
    {
        Escaped = escaped;
        IgnoreCase = ignoreCase;
        Arn = arn;
        _kind = Wildcard.Classify(escaped, out _literal);
        // A prefix pattern like "arn:aws:s3:::bucket/*" may still cross ARN components only inside the
        // resource part, where whole-string and component-wise matching agree once the five colons
        // of the literal prefix are present.
        if (arn && _kind == PatternKind.Prefix && CountColons(_literal) < 5)
        {
            _kind = PatternKind.General;
        }
    }

    public string Escaped { get; }
    public bool IgnoreCase { get; }
    public bool Arn { get; }

    public bool IsMatch(string text)
    {
        var cmp = IgnoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        return _kind switch
        {
            PatternKind.Any => true,
            PatternKind.Exact => string.Equals(_literal, text, cmp),
            PatternKind.Prefix => text.StartsWith(_literal, cmp),
            _ => Arn ? Wildcard.ArnMatch(Escaped, text) : Wildcard.IsMatch(Escaped, text, IgnoreCase),
        };
    }

    private static int CountColons(string s)
    {
        var n = 0;
        foreach (var c in s)
        {
            if (c == ':')
            {
                n++;
            }
        }
        return n;
    }
}
