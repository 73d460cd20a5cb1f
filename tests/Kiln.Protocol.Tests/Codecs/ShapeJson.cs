using System.Collections;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kiln.Core.Shapes;

namespace Kiln.Protocol.Tests.Codecs;

/// <summary>Shape values ↔ the normalised JSON make-fixtures.py writes: structures as objects of
/// their non-null members, timestamps as UTC ISO 8601 with milliseconds, blobs (and streams) as
/// base64. Both sides of every comparison go through this, so a test compares meaning, not the
/// quirks of two JSON libraries.</summary>
internal static class ShapeJson
{
    public static JsonNode? ToJson(object? value, ShapeInfo shape)
    {
        if (value is null)
        {
            return null;
        }

        switch (shape.Type)
        {
            case ShapeType.Structure:
                var obj = new JsonObject();
                foreach (var m in shape.Members)
                {
                    var v = ToJson(m.Get(value), m.Shape);
                    if (v is not null)
                    {
                        obj[m.Name] = v;
                    }
                }

                return obj;
            case ShapeType.List:
                var array = new JsonArray();
                foreach (var item in (IEnumerable)value)
                {
                    array.Add(ToJson(item, shape.Member!.Shape));
                }

                return array;
            case ShapeType.Map:
                var map = new JsonObject();
                foreach (DictionaryEntry e in (IDictionary)value)
                {
                    map[(string)e.Key] = ToJson(e.Value, shape.Value!.Shape);
                }

                return map;
            case ShapeType.Timestamp:
                return ((DateTimeOffset)value).ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
            case ShapeType.Blob:
                if (value is Stream stream)
                {
                    using var copy = new MemoryStream();
                    stream.CopyTo(copy);
                    return Convert.ToBase64String(copy.ToArray());
                }

                return Convert.ToBase64String((byte[])value);
            case ShapeType.Float:
                return (double)(float)value;
            default:
                return JsonValue.Create(value);
        }
    }

    public static object? FromJson(JsonNode? node, ShapeInfo shape, bool streaming = false)
    {
        if (node is null)
        {
            return null;
        }

        switch (shape.Type)
        {
            case ShapeType.Structure:
                var bag = shape.Create!();
                foreach (var m in shape.Members)
                {
                    if (node[m.Name] is { } v)
                    {
                        m.Set(bag, FromJson(v, m.Shape, m.Shape.Streaming));
                    }
                }

                return bag;
            case ShapeType.List:
                var list = shape.CreateList!();
                foreach (var item in node.AsArray())
                {
                    list.Add(FromJson(item, shape.Member!.Shape));
                }

                return list;
            case ShapeType.Map:
                var map = shape.CreateMap!();
                foreach (var (k, v) in node.AsObject())
                {
                    map[k] = FromJson(v, shape.Value!.Shape);
                }

                return map;
            case ShapeType.Timestamp:
                return DateTimeOffset.Parse(node.GetValue<string>(), CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
            case ShapeType.Blob:
                var bytes = Convert.FromBase64String(node.GetValue<string>());
                return streaming ? new MemoryStream(bytes) : bytes;
            case ShapeType.Integer:
                return node.GetValue<int>();
            case ShapeType.Long:
                return node.GetValue<long>();
            case ShapeType.Float:
                return (float)node.GetValue<double>();
            case ShapeType.Double:
                return node.GetValue<double>();
            case ShapeType.Boolean:
                return node.GetValue<bool>();
            default:
                return node.GetValue<string>();
        }
    }

    /// <summary>Semantic JSON equality (numbers by value: Python writes 3.0 where .NET writes 3).</summary>
    public static bool Same(JsonNode? a, JsonNode? b)
    {
        if (a is null || b is null)
        {
            return a is null && b is null;
        }

        using var x = JsonDocument.Parse(a.ToJsonString());
        using var y = JsonDocument.Parse(b.ToJsonString());
        return JsonElement.DeepEquals(x.RootElement, y.RootElement);
    }

    public static string Show(JsonNode? node) => node?.ToJsonString(new JsonSerializerOptions
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        TypeInfoResolver = JsonSerializerOptions.Default.TypeInfoResolver,
    }) ?? "null";
}
