using System.Globalization;
using System.Net;

namespace Kiln.Policy;

/// <summary>The condition operator families of "IAM JSON policy elements: Condition operators".</summary>
internal enum OperatorKind : byte
{
    StringEquals, StringNotEquals, StringEqualsIgnoreCase, StringNotEqualsIgnoreCase, StringLike, StringNotLike,
    NumericEquals, NumericNotEquals, NumericLessThan, NumericLessThanEquals, NumericGreaterThan, NumericGreaterThanEquals,
    DateEquals, DateNotEquals, DateLessThan, DateLessThanEquals, DateGreaterThan, DateGreaterThanEquals,
    Bool, BinaryEquals, IpAddress, NotIpAddress, ArnEquals, ArnLike, ArnNotEquals, ArnNotLike, Null,
}

internal enum SetOperator : byte
{
    None,
    ForAllValues,
    ForAnyValue,
}

/// <summary>One operator/key/values triple of a Condition block, with its values pre-parsed.</summary>
internal sealed class Condition
{
    private readonly PolicyString[] _strings;
    private readonly decimal?[] _numbers;
    private readonly DateTimeOffset?[] _dates;
    private readonly IpNetwork?[] _networks;

    public Condition(OperatorKind kind, SetOperator set, bool ifExists, string key, string[] values, bool variables)
    {
        Kind = kind;
        Set = set;
        IfExists = ifExists;
        Key = key;
        Values = values;
        // "You can't use a policy variable with other operators, such as Numeric, Date, Boolean, Binary,
        // IP Address, or Null" ("Where you can use policy variables": Condition element).
        var allowVariables = variables && (IsString || IsArn);
        var arn = IsArn;
        _strings = Array.ConvertAll(values, v => PolicyString.Parse(v, allowVariables, ignoreCase: false, arn: arn));
        _numbers = IsNumeric ? Array.ConvertAll(values, ParseNumber) : [];
        _dates = IsDate ? Array.ConvertAll(values, ParseDate) : [];
        _networks = kind is OperatorKind.IpAddress or OperatorKind.NotIpAddress ? Array.ConvertAll(values, IpNetwork.Parse) : [];
    }

    public OperatorKind Kind { get; }
    public SetOperator Set { get; }
    public bool IfExists { get; }
    public string Key { get; }
    public string[] Values { get; }

    private bool IsString => Kind <= OperatorKind.StringNotLike;
    private bool IsNumeric => Kind is >= OperatorKind.NumericEquals and <= OperatorKind.NumericGreaterThanEquals;
    private bool IsDate => Kind is >= OperatorKind.DateEquals and <= OperatorKind.DateGreaterThanEquals;
    private bool IsArn => Kind is >= OperatorKind.ArnEquals and <= OperatorKind.ArnNotLike;

    /// <summary>The "Not" operators: they match when no policy value matches.</summary>
    private bool IsNegated => Kind is OperatorKind.StringNotEquals or OperatorKind.StringNotEqualsIgnoreCase
        or OperatorKind.StringNotLike or OperatorKind.NumericNotEquals or OperatorKind.DateNotEquals
        or OperatorKind.NotIpAddress or OperatorKind.ArnNotEquals or OperatorKind.ArnNotLike;

    /// <summary>Evaluates the condition. <paramref name="invalid"/> is set when a policy variable could
    /// not be resolved, which makes the whole statement not apply.</summary>
    public bool Evaluate(RequestScope scope, ref bool invalid)
    {
        var present = scope.TryGetValues(Key, out var ctx) && ctx.Length > 0;

        // "Condition operator to check existence of condition keys": Null true means the key is absent.
        if (Kind == OperatorKind.Null)
        {
            foreach (var v in Values)
            {
                if (string.Equals(v, "true", StringComparison.OrdinalIgnoreCase) ? !present : present)
                {
                    return true;
                }
            }
            return false;
        }

        switch (Set)
        {
            // "ForAllValues ... returns true if there are no context keys in the request, or if the
            // context key value resolves to a null data set, such as an empty string"
            // ("Set operators for multivalued context keys").
            case SetOperator.ForAllValues:
                if (!present)
                {
                    return true;
                }
                foreach (var c in ctx)
                {
                    if (!MatchOne(c, scope, ref invalid))
                    {
                        return false;
                    }
                }
                return true;
            // "ForAnyValue ... If the key is not present in the request, the condition returns false",
            // unless the IfExists form says a missing key passes.
            case SetOperator.ForAnyValue:
                if (!present)
                {
                    return IfExists;
                }
                foreach (var c in ctx)
                {
                    if (MatchOne(c, scope, ref invalid))
                    {
                        return true;
                    }
                }
                return false;
        }

        if (!present)
        {
            // "...IfExists: If the policy key is present in the context of the request, process the key
            // as specified in the policy. If the key is not present, evaluate the condition element as
            // true." Otherwise a missing key does not match, so negated operators are true ("If the key
            // that you specify in a policy condition is not present in the request context, the values
            // do not match").
            return IfExists || IsNegated;
        }
        // Values of one key are OR-ed: a positive operator matches when any request value matches any
        // policy value; a negated one when none does ("Creating a condition with multiple keys or values").
        var any = false;
        foreach (var c in ctx)
        {
            if (MatchPositive(c, scope, ref invalid))
            {
                any = true;
                break;
            }
        }
        return IsNegated ? !any : any;
    }

    /// <summary>The per-value test a set operator applies to each request value.</summary>
    private bool MatchOne(string contextValue, RequestScope scope, ref bool invalid)
    {
        var m = MatchPositive(contextValue, scope, ref invalid);
        return IsNegated ? !m : m;
    }

    /// <summary>True when the context value matches at least one policy value under the positive
    /// form of the operator (StringNotEquals tests StringEquals here).</summary>
    private bool MatchPositive(string c, RequestScope scope, ref bool invalid)
    {
        for (var i = 0; i < Values.Length; i++)
        {
            if (MatchValue(i, c, scope, ref invalid))
            {
                return true;
            }
        }
        return false;
    }

    private bool MatchValue(int i, string c, RequestScope scope, ref bool invalid)
    {
        switch (Kind)
        {
            case OperatorKind.StringEquals or OperatorKind.StringNotEquals:
                return Resolve(i, scope, false, ref invalid) is { } s && string.Equals(s, c, StringComparison.Ordinal);
            case OperatorKind.StringEqualsIgnoreCase or OperatorKind.StringNotEqualsIgnoreCase:
                return Resolve(i, scope, false, ref invalid) is { } si && string.Equals(si, c, StringComparison.OrdinalIgnoreCase);
            case OperatorKind.StringLike or OperatorKind.StringNotLike:
                if (_strings[i].Pattern is { } p)
                {
                    return p.IsMatch(c);
                }
                return Resolve(i, scope, true, ref invalid) is { } sl && Wildcard.IsMatch(sl, c, ignoreCase: false);
            case OperatorKind.ArnEquals or OperatorKind.ArnLike or OperatorKind.ArnNotEquals or OperatorKind.ArnNotLike:
                if (_strings[i].Pattern is { } ap)
                {
                    return ap.IsMatch(c);
                }
                return Resolve(i, scope, true, ref invalid) is { } a && Wildcard.ArnMatch(a, c);
            case OperatorKind.Bool:
                return string.Equals(Values[i], c, StringComparison.OrdinalIgnoreCase);
            case OperatorKind.BinaryEquals:
                return BinaryEquals(Values[i], c);
            case OperatorKind.IpAddress or OperatorKind.NotIpAddress:
                return _networks[i] is { } net && IPAddress.TryParse(c, out var ip) && net.Contains(ip);
        }
        if (IsNumeric)
        {
            if (_numbers[i] is not { } n || ParseNumber(c) is not { } x)
            {
                return false;
            }
            return Compare(x.CompareTo(n));
        }
        if (_dates[i] is not { } d || ParseDate(c) is not { } t)
        {
            return false;
        }
        return Compare(t.CompareTo(d));
    }

    /// <summary>Maps a comparison of request value against policy value onto the operator.</summary>
    private bool Compare(int cmp) => Kind switch
    {
        OperatorKind.NumericEquals or OperatorKind.NumericNotEquals or OperatorKind.DateEquals or OperatorKind.DateNotEquals => cmp == 0,
        OperatorKind.NumericLessThan or OperatorKind.DateLessThan => cmp < 0,
        OperatorKind.NumericLessThanEquals or OperatorKind.DateLessThanEquals => cmp <= 0,
        OperatorKind.NumericGreaterThan or OperatorKind.DateGreaterThan => cmp > 0,
        _ => cmp >= 0,
    };

    private string? Resolve(int i, RequestScope scope, bool asPattern, ref bool invalid)
    {
        var ps = _strings[i];
        if (!ps.HasVariables)
        {
            return ps.Literal;
        }
        if (ps.TryResolve(scope, asPattern, out var v))
        {
            return v;
        }
        invalid = true;
        return null;
    }

    private static bool BinaryEquals(string policy, string context)
    {
        // Both sides are base64 ("Binary condition operators"); compare the bytes so that padding or
        // line breaks in either encoding do not matter.
        try
        {
            return Convert.FromBase64String(policy).AsSpan().SequenceEqual(Convert.FromBase64String(context));
        }
        catch (FormatException)
        {
            return string.Equals(policy, context, StringComparison.Ordinal);
        }
    }

    internal static decimal? ParseNumber(string s) =>
        decimal.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : null;

    /// <summary>Date values are ISO 8601 or epoch seconds ("Date condition operators").</summary>
    internal static DateTimeOffset? ParseDate(string s)
    {
        if (s.Length > 0 && (char.IsAsciiDigit(s[0]) || s[0] == '-') && long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var epoch))
        {
            // A bare 4-digit number is a year in ISO 8601; anything longer is epoch seconds.
            if (s.Length != 4)
            {
                return epoch is >= -62135596800 and <= 253402300799 ? DateTimeOffset.FromUnixTimeSeconds(epoch) : null;
            }
        }
        if (DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var d))
        {
            return d;
        }
        if (s.Length == 4 && int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var year) && year >= 1)
        {
            return new DateTimeOffset(year, 1, 1, 0, 0, 0, TimeSpan.Zero);
        }
        return null;
    }

    /// <summary>Parses an operator name such as <c>ForAnyValue:StringLikeIfExists</c>.</summary>
    public static bool TryParseOperator(string name, out OperatorKind kind, out SetOperator set, out bool ifExists)
    {
        set = SetOperator.None;
        var span = name.AsSpan();
        if (span.StartsWith("ForAllValues:", StringComparison.Ordinal))
        {
            set = SetOperator.ForAllValues;
            span = span["ForAllValues:".Length..];
        }
        else if (span.StartsWith("ForAnyValue:", StringComparison.Ordinal))
        {
            set = SetOperator.ForAnyValue;
            span = span["ForAnyValue:".Length..];
        }
        ifExists = span.EndsWith("IfExists", StringComparison.Ordinal);
        if (ifExists)
        {
            span = span[..^"IfExists".Length];
        }
        // Null has no IfExists form: "Null ... checks if the key is present".
        return Enum.TryParse(span, ignoreCase: false, out kind) && !(ifExists && kind == OperatorKind.Null)
            && !int.TryParse(span, out _);
    }
}

/// <summary>An IPv4 or IPv6 CIDR block ("IP address condition operators": "You can also specify an
/// IPv6 address"). A bare address is a /32 or /128.</summary>
internal sealed class IpNetwork
{
    private readonly byte[] _prefix;
    private readonly int _bits;

    private IpNetwork(byte[] prefix, int bits)
    {
        _prefix = prefix;
        _bits = bits;
    }

    public static IpNetwork? Parse(string s)
    {
        var slash = s.IndexOf('/');
        var addr = slash < 0 ? s : s[..slash];
        if (!IPAddress.TryParse(addr, out var ip))
        {
            return null;
        }
        var bytes = ip.GetAddressBytes();
        var max = bytes.Length * 8;
        var bits = max;
        if (slash >= 0 && (!int.TryParse(s.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out bits) || bits > max))
        {
            return null;
        }
        return new IpNetwork(bytes, bits);
    }

    public bool Contains(IPAddress ip)
    {
        if (ip.IsIPv4MappedToIPv6 && _prefix.Length == 4)
        {
            ip = ip.MapToIPv4();
        }
        Span<byte> b = stackalloc byte[16];
        if (!ip.TryWriteBytes(b, out var n) || n != _prefix.Length)
        {
            return false;
        }
        var full = _bits / 8;
        if (!b[..full].SequenceEqual(_prefix.AsSpan(0, full)))
        {
            return false;
        }
        var rest = _bits % 8;
        if (rest == 0)
        {
            return true;
        }
        var mask = (byte)(0xFF << (8 - rest));
        return (b[full] & mask) == (_prefix[full] & mask);
    }
}
