using System.Collections;
using System.Text;
using Kiln.Core.Errors;
using Kiln.Core.Shapes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Kiln.Protocol.Routing;

/// <summary>The HTTP binding the two rest protocols share: members that travel in the URI, the
/// query string, headers (and prefixed header maps) and the status code. The body is each codec's
/// own business. Mirrors botocore's <c>BaseRestSerializer._partition_parameters</c> (requests) and
/// <c>BaseRestParser._parse_non_payload_attrs</c> (responses).</summary>
internal static class RestBinding
{
    /// <summary>Reports a located value that is not a value of its type; each codec answers with
    /// its protocol's error (S3 <c>InvalidArgument</c>, JSON <c>SerializationException</c>).</summary>
    public delegate AwsException InvalidValue(string where, string name, string value);

    /// <summary>Query keys that SDKs add for routing and that never bind to a map-valued
    /// querystring member.</summary>
    private const string XIdKey = "x-id";

    public static void ReadLocated(object target, ShapeLookup lookup, HttpRequest request,
        IReadOnlyDictionary<string, string> uriLabels, InvalidValue invalid)
    {
        foreach (var m in lookup.UriMembers)
        {
            var name = m.LocationName ?? m.Name;
            if (uriLabels.TryGetValue(name, out var text))
            {
                m.Set(target, ParseText(text, m.Shape, "URI label", name, invalid));
            }
        }

        if (lookup.QueryMembers.Length > 0)
        {
            ReadQuery(target, lookup, request.Query, invalid);
        }

        foreach (var m in lookup.HeaderMembers)
        {
            var name = m.LocationName ?? m.Name;
            if (!request.Headers.TryGetValue(name, out var values) || StringValues.IsNullOrEmpty(values))
            {
                continue;
            }

            m.Set(target, ParseHeader(values.ToString(), m, name, invalid));
        }

        foreach (var m in lookup.HeaderMapMembers)
        {
            var prefix = m.LocationName ?? "";
            IDictionary? map = null;
            foreach (var (key, values) in request.Headers)
            {
                if (key.Length > prefix.Length && key.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
                {
                    map ??= NewMap(m.Shape);
                    var valueShape = m.Shape.Value?.Shape;
                    var text = values.ToString();
                    map[key[prefix.Length..]] = valueShape is null || valueShape.Type == ShapeType.String
                        ? text
                        : ParseText(text, valueShape, "header", key, invalid);
                }
            }

            if (map is not null)
            {
                m.Set(target, map);
            }
        }
    }

    private static void ReadQuery(object target, ShapeLookup lookup, IQueryCollection query, InvalidValue invalid)
    {
        foreach (var m in lookup.QueryMembers)
        {
            var name = m.LocationName ?? m.Name;
            switch (m.Shape.Type)
            {
                case ShapeType.Map:
                    // botocore spreads a map-valued querystring member over the query string, so it
                    // owns every key no other member names.
                    var map = ReadQueryMap(lookup, m, query, invalid);
                    if (map is not null)
                    {
                        m.Set(target, map);
                    }

                    break;
                case ShapeType.List:
                    if (query.TryGetValue(name, out var items))
                    {
                        m.Set(target, ParseList(items, m, name, "query parameter", invalid));
                    }

                    break;
                default:
                    if (query.TryGetValue(name, out var values) && values.Count > 0)
                    {
                        m.Set(target, ParseText(values[0] ?? "", m.Shape, "query parameter", name, invalid));
                    }

                    break;
            }
        }
    }

    private static IDictionary? ReadQueryMap(ShapeLookup lookup, MemberInfo member, IQueryCollection query,
        InvalidValue invalid)
    {
        IDictionary? map = null;
        var valueShape = member.Shape.Value?.Shape;
        foreach (var (key, values) in query)
        {
            if (key == XIdKey || IsNamedQueryKey(lookup, key))
            {
                continue;
            }

            map ??= NewMap(member.Shape);
            if (valueShape is { Type: ShapeType.List })
            {
                map[key] = ParseList(values, member, key, "query parameter", invalid, valueShape);
            }
            else
            {
                map[key] = valueShape is null
                    ? values.ToString()
                    : ParseText(values.Count > 0 ? values[0] ?? "" : "", valueShape, "query parameter", key, invalid);
            }
        }

        return map;
    }

    private static bool IsNamedQueryKey(ShapeLookup lookup, string key)
    {
        foreach (var m in lookup.QueryMembers)
        {
            if (m.Shape.Type != ShapeType.Map && string.Equals(m.LocationName ?? m.Name, key, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static IList ParseList(StringValues values, MemberInfo member, string name, string where,
        InvalidValue invalid, ShapeInfo? listShape = null)
    {
        listShape ??= member.Shape;
        var list = NewList(listShape);
        var itemShape = listShape.Member?.Shape ?? throw MissingMetadata(listShape);
        foreach (var v in values)
        {
            list.Add(ParseText(v ?? "", itemShape, where, name, invalid));
        }

        return list;
    }

    private static object? ParseHeader(string text, MemberInfo member, string name, InvalidValue invalid)
    {
        if (member.JsonValue)
        {
            // jsonvalue headers carry base64 of a JSON document; the member holds the JSON text.
            if (!WireText.TryFromBase64(text, out var json))
            {
                throw invalid("header", name, text);
            }

            try
            {
                return new UTF8Encoding(false, true).GetString(json);
            }
            catch (DecoderFallbackException)
            {
                throw invalid("header", name, text);
            }
        }

        if (member.Shape.Type == ShapeType.List)
        {
            // RFC 7230 list syntax, as botocore writes and reads list headers.
            var list = NewList(member.Shape);
            var itemShape = member.Shape.Member?.Shape ?? throw MissingMetadata(member.Shape);
            foreach (var part in text.Split(','))
            {
                list.Add(ParseText(part.Trim(), itemShape, "header", name, invalid));
            }

            return list;
        }

        return ParseText(text, member.Shape, "header", name, invalid);
    }

    private static object? ParseText(string text, ShapeInfo shape, string where, string name, InvalidValue invalid)
    {
        if (shape.Type == ShapeType.String)
        {
            return text;
        }

        if (!WireText.TryParseScalar(text, shape, out var value))
        {
            throw invalid(where, name, text);
        }

        return value;
    }

    /// <summary>Writes header-located members and returns the status: the operation's, or the value
    /// of a <c>statusCode</c> member (Lambda Invoke).</summary>
    public static int WriteLocated(object source, ShapeLookup lookup, HttpResponse response, int status)
    {
        if (lookup.StatusCodeMember?.Get(source) is int code)
        {
            status = code;
        }

        foreach (var m in lookup.HeaderMembers)
        {
            var value = m.Get(source);
            if (value is null)
            {
                continue;
            }

            var text = FormatHeader(value, m);
            if (text is not null)
            {
                response.Headers[m.LocationName ?? m.Name] = text;
            }
        }

        foreach (var m in lookup.HeaderMapMembers)
        {
            if (m.Get(source) is not IDictionary map)
            {
                continue;
            }

            var prefix = m.LocationName ?? "";
            var valueShape = m.Shape.Value?.Shape ?? throw MissingMetadata(m.Shape);
            foreach (DictionaryEntry entry in map)
            {
                if (entry.Value is not null)
                {
                    response.Headers[prefix + (string)entry.Key] =
                        WireText.FormatScalar(entry.Value, valueShape, WireText.TimestampFormatOf(m, WireText.Rfc822));
                }
            }
        }

        return status;
    }

    private static string? FormatHeader(object value, MemberInfo member)
    {
        var format = WireText.TimestampFormatOf(member, WireText.Rfc822);
        if (member.JsonValue && value is string json)
        {
            return Convert.ToBase64String(Encoding.UTF8.GetBytes(json));
        }

        if (value is IEnumerable items and not string and not byte[])
        {
            var itemShape = member.Shape.Member?.Shape ?? throw MissingMetadata(member.Shape);
            var parts = new List<string>();
            foreach (var item in items)
            {
                if (item is not null)
                {
                    parts.Add(WireText.FormatScalar(item, itemShape, format));
                }
            }

            // botocore leaves an empty list out rather than sending an empty header.
            return parts.Count == 0 ? null : string.Join(",", parts);
        }

        return WireText.FormatScalar(value, member.Shape, format);
    }

    public static IList NewList(ShapeInfo shape) =>
        shape.CreateList?.Invoke() ?? throw MissingMetadata(shape);

    public static IDictionary NewMap(ShapeInfo shape) =>
        shape.CreateMap?.Invoke() ?? throw MissingMetadata(shape);

    public static object NewStructure(ShapeInfo shape) =>
        shape.Create?.Invoke() ?? throw MissingMetadata(shape);

    public static InvalidOperationException MissingMetadata(ShapeInfo shape) =>
        new($"Shape {shape.Name} ({shape.Type}) lacks the factory or member metadata the codecs need.");
}
