using System.Collections.Frozen;
using Kiln.Core.Shapes;
using Microsoft.AspNetCore.Http;

namespace Kiln.Protocol.Routing;

/// <summary>The operation a rest request resolved to, and its URI labels percent-decoded.</summary>
public sealed record RestRouteMatch(OperationInfo Operation, IReadOnlyDictionary<string, string> Labels);

/// <summary>Resolves a rest-xml or rest-json request to its operation by method, path and query
/// string, from each operation's <c>http.method</c> and <c>http.requestUri</c>. Built once per
/// service; <see cref="Match"/> is allocation-light and uses no regular expressions.
/// <para><b>Path.</b> <see cref="Match"/> takes the <em>raw</em> path, still percent-encoded (on
/// Kestrel: <c>IHttpRequestFeature.RawTarget</c> up to the <c>?</c>), because an S3 key may hold
/// an encoded slash that must not split a segment. Segments are split on raw <c>/</c>, literal
/// segments compared, and labels percent-decoded afterwards (<c>+</c> stays <c>+</c> in a path).
/// A plain label matches exactly one non-empty segment; a greedy label (<c>{Key+}</c>) matches the
/// rest of the path, slashes and empty segments included, and must not be empty. One trailing
/// slash is optional on templates without a greedy label (<c>/2015-03-31/functions/</c> and
/// <c>/bucket/</c> both match).</para>
/// <para><b>Query.</b> Literal keys in the template (<c>?uploads</c>, <c>?tagging</c>,
/// <c>?list-type=2</c>) are required, and a <c>key=value</c> literal must have that value. The
/// <c>x-id</c> key newer SDKs add is never required; when a request carries one that names an
/// operation whose route matches, that operation wins.</para>
/// <para><b>Specificity.</b> Candidates are tried most specific first: more literal path segments,
/// then more literal query keys, then more segments. GET /b/k?tagging is GetObjectTagging,
/// GET /b/k GetObject, GET /b?list-type=2 ListObjectsV2, GET /b ListObjects.</para>
/// <para><b>Shared routes.</b> Some operations share method and template (S3: PutObject, CopyObject,
/// UploadPart and UploadPartCopy are all <c>PUT /{Bucket}/{Key+}</c>). Within such a group an
/// operation matches only when every <em>required</em> input member that travels in the query
/// string or a header is present, and the operation needing the most of them wins: a request with
/// <c>x-amz-copy-source</c> is CopyObject, with <c>partNumber</c> and <c>uploadId</c> UploadPart,
/// with all three UploadPartCopy. The group's least demanding operation is the fallback and
/// matches without checks, so a request that lacks a parameter still reaches an operation that can
/// report it. Operations no request can tell apart (S3's deprecated GetBucketLifecycle vs
/// GetBucketLifecycleConfiguration, and the Notification pair) resolve to the one in
/// <see cref="Superseded"/>'s values; the superseded one is reachable only through <c>x-id</c>.</para></summary>
public sealed class RestRouteTable
{
    /// <summary>Operations that share a route with a newer one and lose ties to it (old name → new
    /// name). The model marks them deprecated; <see cref="OperationInfo"/> does not carry that flag.</summary>
    public static readonly FrozenDictionary<string, string> Superseded = new Dictionary<string, string>
    {
        ["GetBucketLifecycle"] = "GetBucketLifecycleConfiguration",
        ["PutBucketLifecycle"] = "PutBucketLifecycleConfiguration",
        ["GetBucketNotification"] = "GetBucketNotificationConfiguration",
        ["PutBucketNotification"] = "PutBucketNotificationConfiguration",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private const string XIdKey = "x-id";

    private readonly FrozenDictionary<string, Route[]> _byMethod;
    private readonly FrozenDictionary<string, Route> _byName;
    private readonly int _maxSegments;
    // When every route begins with a literal segment (S3 Control's /v20180820/..., SageMaker Runtime's
    // /endpoints/...), a request whose first segment is none of them is rejected without trying each
    // route: the gateway asks this of every S3 request, which shares S3 Control's signing name.
    private readonly FrozenSet<string>? _firstSegments;

    public RestRouteTable(ServiceInfo service)
    {
        Service = service;
        var routes = service.Operations.Values.Select(op => new Route(op)).ToList();
        foreach (var group in routes.GroupBy(r => r.Key))
        {
            // An operation without an input shape (a model that leaves out shapes of operations it
            // does not implement) has unknown requirements and loses ties to one that has them.
            var ordered = group
                .OrderByDescending(r => r.Discriminators.Length)
                .ThenBy(r => r.Operation.Input is null ? 1 : 0)
                .ThenBy(r => Superseded.ContainsKey(r.Operation.Name) ? 1 : 0)
                .ThenBy(r => r.Operation.Name, StringComparer.Ordinal)
                .ToList();
            for (var i = 0; i < ordered.Count; i++)
            {
                // The last of a group is its fallback; a route alone in its group needs no checks.
                ordered[i].GroupRank = i;
                ordered[i].CheckDiscriminators = i < ordered.Count - 1;
            }

            // Operations with identical requirements cannot be told apart: only the first of them
            // (the newer one) is reachable without x-id.
            for (var i = 1; i < ordered.Count; i++)
            {
                if (ordered[i].Discriminators.Length == ordered[i - 1].Discriminators.Length
                    && ordered[i].Discriminators.SequenceEqual(ordered[i - 1].Discriminators))
                {
                    ordered[i].OnlyByXId = true;
                }
            }
        }

        _byMethod = routes
            .GroupBy(r => r.Method, StringComparer.OrdinalIgnoreCase)
            .ToFrozenDictionary(
                g => g.Key,
                g => g.OrderByDescending(r => r.LiteralSegments)
                    .ThenByDescending(r => r.QueryLiterals.Length)
                    .ThenByDescending(r => r.Segments.Length)
                    .ThenBy(r => r.Greedy >= 0 ? 1 : 0)
                    .ThenBy(r => r.Key, StringComparer.Ordinal)
                    .ThenBy(r => r.GroupRank)
                    .ToArray(),
                StringComparer.OrdinalIgnoreCase);
        _byName = routes.ToFrozenDictionary(r => r.Operation.Name, StringComparer.Ordinal);
        _maxSegments = routes.Count == 0 ? 1 : routes.Max(r => r.Segments.Length) + 2;
        if (routes.Count > 0 && routes.All(r => r.Segments.Length > 0 && r.Segments[0].Kind == SegmentKind.Literal))
        {
            _firstSegments = routes.Select(r => r.Segments[0].Text).ToFrozenSet(StringComparer.Ordinal);
        }
    }

    public ServiceInfo Service { get; }

    /// <summary>Resolves a request. <paramref name="rawPath"/> is the path as sent (percent-encoded,
    /// no query, no virtual-host bucket: the gateway rewrites <c>bucket.host/key</c> to
    /// <c>/bucket/key</c> first). Returns null when no operation matches.</summary>
    public RestRouteMatch? Match(string method, string rawPath, IQueryCollection query, IHeaderDictionary headers)
    {
        if (!_byMethod.TryGetValue(method, out var routes))
        {
            return null;
        }

        var path = rawPath.Length > 0 && rawPath[0] == '/' ? rawPath.AsSpan(1) : rawPath.AsSpan();
        if (_firstSegments is not null)
        {
            var slash = path.IndexOf('/');
            var first = slash < 0 ? path : path[..slash];
            if (!first.Contains('%') && !_firstSegments.GetAlternateLookup<ReadOnlySpan<char>>().Contains(first))
            {
                return null;
            }
        }

        Span<Range> ranges = stackalloc Range[_maxSegments];
        var count = path.Split(ranges, '/');
        ranges = ranges[..count];

        if (query.TryGetValue(XIdKey, out var xid) && xid.Count > 0 && xid[0] is { } named
            && _byName.TryGetValue(named, out var hinted)
            && string.Equals(hinted.Method, method, StringComparison.OrdinalIgnoreCase)
            && hinted.QueryMatches(query)
            && hinted.TryMatchPath(path, ranges, out var hintedLabels))
        {
            return new RestRouteMatch(hinted.Operation, hintedLabels);
        }

        foreach (var route in routes)
        {
            if (route.OnlyByXId || !route.QueryMatches(query)
                || (route.CheckDiscriminators && !route.DiscriminatorsMatch(query, headers)))
            {
                continue;
            }

            if (route.TryMatchPath(path, ranges, out var labels))
            {
                return new RestRouteMatch(route.Operation, labels);
            }
        }

        return null;
    }

    /// <summary>Convenience overload over an <see cref="HttpRequest"/> with the raw path given.</summary>
    public RestRouteMatch? Match(HttpRequest request, string rawPath) =>
        Match(request.Method, rawPath, request.Query, request.Headers);

    private enum SegmentKind
    {
        Literal,
        Label,
        Greedy,
    }

    private readonly record struct Segment(SegmentKind Kind, string Text, string Prefix, string Suffix);

    private readonly record struct QueryLiteral(string Key, string? Value);

    private readonly record struct Discriminator(bool Header, string Name);

    private sealed class Route
    {
        public Route(OperationInfo operation)
        {
            Operation = operation;
            Method = operation.HttpMethod;
            var uri = operation.RequestUri;
            var q = uri.IndexOf('?');
            var pathTemplate = q < 0 ? uri : uri[..q];
            var queryTemplate = q < 0 ? "" : uri[(q + 1)..];

            var raw = pathTemplate.TrimStart('/');
            var parts = raw.Length == 0 ? [] : raw.Split('/');
            // A trailing slash in a template is optional in requests.
            if (parts.Length > 0 && parts[^1].Length == 0)
            {
                parts = parts[..^1];
            }

            Segments = new Segment[parts.Length];
            Greedy = -1;
            for (var i = 0; i < parts.Length; i++)
            {
                Segments[i] = ParseSegment(parts[i]);
                if (Segments[i].Kind == SegmentKind.Greedy)
                {
                    Greedy = i;
                }
                else if (Segments[i].Kind == SegmentKind.Literal)
                {
                    LiteralSegments++;
                }
            }

            QueryLiterals = queryTemplate
                .Split('&', StringSplitOptions.RemoveEmptyEntries)
                .Select(p =>
                {
                    var eq = p.IndexOf('=');
                    return eq < 0 ? new QueryLiteral(p, null) : new QueryLiteral(p[..eq], p[(eq + 1)..]);
                })
                .Where(l => l.Key != XIdKey)
                .OrderBy(l => l.Key, StringComparer.Ordinal)
                .ToArray();

            var literalKeys = QueryLiterals.Select(l => l.Key).ToHashSet(StringComparer.Ordinal);
            Discriminators = operation.Input is { } input
                ? input.Members
                    .Where(m => m.Required && m.Location is MemberLocation.QueryString or MemberLocation.Header
                        && !literalKeys.Contains(m.LocationName ?? m.Name))
                    .Select(m => new Discriminator(m.Location == MemberLocation.Header, m.LocationName ?? m.Name))
                    .OrderBy(d => d.Header)
                    .ThenBy(d => d.Name, StringComparer.OrdinalIgnoreCase)
                    .ToArray()
                : [];

            Key = string.Concat(Method.ToUpperInvariant(), " ", string.Join('/', parts.Select(NormalizeForKey)), "?",
                string.Join('&', QueryLiterals.Select(l => l.Value is null ? l.Key : l.Key + "=" + l.Value)));
        }

        public OperationInfo Operation { get; }
        public string Method { get; }
        public Segment[] Segments { get; }
        public int Greedy { get; }
        public int LiteralSegments { get; }
        public QueryLiteral[] QueryLiterals { get; }
        public Discriminator[] Discriminators { get; }
        /// <summary>Method, path shape and literal query: routes with equal keys share a route.</summary>
        public string Key { get; }
        public int GroupRank { get; set; }
        public bool CheckDiscriminators { get; set; }
        public bool OnlyByXId { get; set; }

        private static string NormalizeForKey(string part)
        {
            var open = part.IndexOf('{');
            return open < 0 ? part : part.EndsWith("+}", StringComparison.Ordinal) ? "{+}" : "{}";
        }

        private static Segment ParseSegment(string part)
        {
            var open = part.IndexOf('{');
            var close = part.IndexOf('}');
            if (open < 0 || close < open)
            {
                return new Segment(SegmentKind.Literal, part, "", "");
            }

            var name = part[(open + 1)..close];
            var greedy = name.EndsWith('+');
            return new Segment(greedy ? SegmentKind.Greedy : SegmentKind.Label, greedy ? name[..^1] : name,
                part[..open], part[(close + 1)..]);
        }

        public bool QueryMatches(IQueryCollection query)
        {
            foreach (var literal in QueryLiterals)
            {
                if (!query.TryGetValue(literal.Key, out var values))
                {
                    return false;
                }

                if (literal.Value is not null && (values.Count == 0 || values[0] != literal.Value))
                {
                    return false;
                }
            }

            return true;
        }

        public bool DiscriminatorsMatch(IQueryCollection query, IHeaderDictionary headers)
        {
            foreach (var d in Discriminators)
            {
                if (d.Header ? !headers.ContainsKey(d.Name) : !query.ContainsKey(d.Name))
                {
                    return false;
                }
            }

            return true;
        }

        public bool TryMatchPath(ReadOnlySpan<char> path, ReadOnlySpan<Range> ranges, out IReadOnlyDictionary<string, string> labels)
        {
            labels = EmptyLabels;
            var n = ranges.Length;
            if (Greedy < 0)
            {
                // Exactly as many segments, or one more that is empty (a trailing slash). A path of
                // more segments than the split buffer holds leaves the remainder in the last range,
                // which holds a '/' and so never matches a plain segment.
                if (n == Segments.Length + 1 && path[ranges[n - 1]].IsEmpty)
                {
                    n--;
                }
                else if (n != Segments.Length)
                {
                    return false;
                }

                Dictionary<string, string>? found = null;
                for (var i = 0; i < Segments.Length; i++)
                {
                    if (!MatchSegment(Segments[i], path[ranges[i]], ref found))
                    {
                        return false;
                    }
                }

                labels = (IReadOnlyDictionary<string, string>?)found ?? EmptyLabels;
                return true;
            }

            // Greedy: the fixed segments before it one by one, then the rest of the path split off
            // from the end for any fixed segments after it.
            if (n < Segments.Length)
            {
                return false;
            }

            Dictionary<string, string>? captured = null;
            for (var i = 0; i < Greedy; i++)
            {
                if (!MatchSegment(Segments[i], path[ranges[i]], ref captured))
                {
                    return false;
                }
            }

            var rest = path[ranges[Greedy].Start.GetOffset(path.Length)..];
            for (var i = Segments.Length - 1; i > Greedy; i--)
            {
                var slash = rest.LastIndexOf('/');
                if (slash < 0 || !MatchSegment(Segments[i], rest[(slash + 1)..], ref captured))
                {
                    return false;
                }

                rest = rest[..slash];
            }

            var greedy = Segments[Greedy];
            if (!rest.StartsWith(greedy.Prefix, StringComparison.Ordinal) || !rest.EndsWith(greedy.Suffix, StringComparison.Ordinal))
            {
                return false;
            }

            var value = rest[greedy.Prefix.Length..(rest.Length - greedy.Suffix.Length)];
            if (value.IsEmpty)
            {
                return false;
            }

            captured ??= new Dictionary<string, string>(StringComparer.Ordinal);
            captured[greedy.Text] = Uri.UnescapeDataString(value);
            labels = captured;
            return true;
        }

        private static bool MatchSegment(Segment segment, ReadOnlySpan<char> raw, ref Dictionary<string, string>? labels)
        {
            if (segment.Kind == SegmentKind.Literal)
            {
                return raw.SequenceEqual(segment.Text)
                    || (raw.Contains('%') && Uri.UnescapeDataString(raw).AsSpan().SequenceEqual(segment.Text));
            }

            if (raw.Length <= segment.Prefix.Length + segment.Suffix.Length
                || !raw.StartsWith(segment.Prefix, StringComparison.Ordinal)
                || !raw.EndsWith(segment.Suffix, StringComparison.Ordinal))
            {
                return false;
            }

            var value = raw[segment.Prefix.Length..(raw.Length - segment.Suffix.Length)];
            labels ??= new Dictionary<string, string>(StringComparer.Ordinal);
            labels[segment.Text] = Uri.UnescapeDataString(value);
            return true;
        }
    }

    private static readonly IReadOnlyDictionary<string, string> EmptyLabels =
        FrozenDictionary<string, string>.Empty;
}
