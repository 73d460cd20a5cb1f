using System.Collections;
using System.Text.Json;
using Kiln.Core.Errors;
using Kiln.Core.Shapes;
using Kiln.Protocol.Errors;
using Kiln.Protocol.Routing;

namespace Kiln.Protocol.Json;

/// <summary>Reads a JSON body into generated shapes with <see cref="Utf8JsonReader"/> straight from
/// the buffered body: no DOM, one pass, unknown keys skipped, nulls left unset. The mirror of
/// botocore's <c>JSONSerializer</c>: structures are objects keyed by member (or locationName),
/// blobs base64, timestamps epoch seconds (ISO strings are accepted too).</summary>
internal static class JsonShapeReader
{
    /// <summary>Deep enough for every AWS shape, shallow enough that nesting cannot exhaust the stack.</summary>
    public const int MaxDepth = 100;

    private static readonly JsonReaderOptions Options = new()
    {
        MaxDepth = MaxDepth,
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
    };

    /// <summary>Reads <paramref name="body"/> as <paramref name="shape"/>. An empty body (or JSON
    /// <c>null</c>) is an empty structure. With <paramref name="bodyMembersOnly"/> the top level binds
    /// only members without an HTTP location (rest-json).</summary>
    public static object ReadStructure(ShapeInfo shape, ReadOnlySpan<byte> body, bool bodyMembersOnly)
    {
        var target = RestBinding.NewStructure(shape);
        ReadInto(target, shape, body, bodyMembersOnly);
        return target;
    }

    public static void ReadInto(object target, ShapeInfo shape, ReadOnlySpan<byte> body, bool bodyMembersOnly)
    {
        if (IsBlank(body))
        {
            return;
        }

        var reader = new Utf8JsonReader(body, Options);
        try
        {
            reader.Read();
            if (reader.TokenType != JsonTokenType.Null)
            {
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    throw ProtocolErrors.Serialization("The request body must be a JSON object.");
                }

                ReadMembers(ref reader, target, shape, bodyMembersOnly);
            }

            // Anything after the top-level value is malformed; the reader throws on it.
            if (reader.Read())
            {
                throw ProtocolErrors.Serialization("Unexpected content after the JSON object.");
            }
        }
        catch (JsonException e)
        {
            throw ProtocolErrors.Serialization(Malformed(e));
        }
    }

    /// <summary>Reads one JSON value (the reader on its first token) as <paramref name="shape"/>.</summary>
    public static object? ReadValue(ref Utf8JsonReader reader, ShapeInfo shape, string name)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
        }

        switch (shape.Type)
        {
            case ShapeType.Structure:
                if (shape.IsDocument)
                {
                    return JsonElement.ParseValue(ref reader);
                }

                Expect(ref reader, JsonTokenType.StartObject, "an object", name);
                var target = RestBinding.NewStructure(shape);
                ReadMembers(ref reader, target, shape, bodyMembersOnly: false);
                return target;
            case ShapeType.List:
                Expect(ref reader, JsonTokenType.StartArray, "an array", name);
                var list = RestBinding.NewList(shape);
                var itemShape = shape.Member?.Shape ?? throw RestBinding.MissingMetadata(shape);
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    var item = ReadValue(ref reader, itemShape, name);
                    if (item is not null)
                    {
                        list.Add(item);
                    }
                }

                return list;
            case ShapeType.Map:
                Expect(ref reader, JsonTokenType.StartObject, "an object", name);
                return ReadMap(ref reader, shape, name);
            case ShapeType.String:
                Expect(ref reader, JsonTokenType.String, "a string", name);
                return reader.GetString();
            case ShapeType.Boolean:
                return reader.TokenType switch
                {
                    JsonTokenType.True => true,
                    JsonTokenType.False => false,
                    _ => throw WrongType("a boolean", name),
                };
            case ShapeType.Integer:
                Expect(ref reader, JsonTokenType.Number, "an integer", name);
                return reader.TryGetInt32(out var i) ? i : throw WrongType("an integer", name);
            case ShapeType.Long:
                Expect(ref reader, JsonTokenType.Number, "a long integer", name);
                return reader.TryGetInt64(out var l) ? l : throw WrongType("a long integer", name);
            case ShapeType.Float:
                return (float)ReadDouble(ref reader, name);
            case ShapeType.Double:
                return ReadDouble(ref reader, name);
            case ShapeType.Timestamp:
                return ReadTimestamp(ref reader, name);
            case ShapeType.Blob:
                Expect(ref reader, JsonTokenType.String, "a base64 string", name);
                return reader.TryGetBytesFromBase64(out var bytes) ? bytes : throw WrongType("a base64 string", name);
            default:
                reader.Skip();
                return null;
        }
    }

    private static void ReadMembers(ref Utf8JsonReader reader, object target, ShapeInfo shape, bool bodyMembersOnly)
    {
        var lookup = ShapeLookup.For(shape).ByJsonName.GetAlternateLookup<ReadOnlySpan<char>>();
        Span<char> nameBuffer = stackalloc char[128];
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            MemberInfo? member;
            var span = reader.HasValueSequence ? default : reader.ValueSpan;
            if (!reader.HasValueSequence && span.Length <= nameBuffer.Length)
            {
                var length = reader.CopyString(nameBuffer);
                lookup.TryGetValue(nameBuffer[..length], out member);
            }
            else
            {
                lookup.TryGetValue(reader.GetString()!, out member);
            }

            reader.Read();
            if (member is null || (bodyMembersOnly && member.Location != MemberLocation.Body))
            {
                reader.Skip();
                continue;
            }

            var value = ReadValue(ref reader, member.Shape, member.Name);
            if (value is not null)
            {
                member.Set(target, value);
            }
        }
    }

    private static IDictionary ReadMap(ref Utf8JsonReader reader, ShapeInfo shape, string name)
    {
        var map = RestBinding.NewMap(shape);
        var valueShape = shape.Value?.Shape ?? throw RestBinding.MissingMetadata(shape);
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var key = reader.GetString()!;
            reader.Read();
            var value = ReadValue(ref reader, valueShape, name);
            if (value is not null)
            {
                map[key] = value;
            }
        }

        return map;
    }

    private static double ReadDouble(ref Utf8JsonReader reader, string name)
    {
        if (reader.TokenType == JsonTokenType.Number)
        {
            return reader.GetDouble();
        }

        // Smithy spells non-finite numbers as strings.
        if (reader.TokenType == JsonTokenType.String)
        {
            switch (reader.GetString())
            {
                case "NaN":
                    return double.NaN;
                case "Infinity":
                    return double.PositiveInfinity;
                case "-Infinity":
                    return double.NegativeInfinity;
            }
        }

        throw WrongType("a number", name);
    }

    private static DateTimeOffset ReadTimestamp(ref Utf8JsonReader reader, string name)
    {
        if (reader.TokenType == JsonTokenType.Number && WireText.TryFromEpochSeconds(reader.GetDouble(), out var fromEpoch))
        {
            return fromEpoch;
        }

        if (reader.TokenType == JsonTokenType.String && WireText.TryParseTimestamp(reader.GetString()!, out var parsed))
        {
            return parsed;
        }

        throw WrongType("a timestamp (epoch seconds or ISO 8601)", name);
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type, string what, string name)
    {
        if (reader.TokenType != type)
        {
            throw WrongType(what, name);
        }
    }

    private static AwsException WrongType(string what, string name) =>
        ProtocolErrors.Serialization($"Expected {what} for '{name}'.");

    private static string Malformed(JsonException e) =>
        e.Message.Contains("depth", StringComparison.OrdinalIgnoreCase)
            ? $"The request body nests deeper than {MaxDepth} levels."
            : $"The request body is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}).";

    private static bool IsBlank(ReadOnlySpan<byte> body)
    {
        foreach (var b in body)
        {
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
            {
                return false;
            }
        }

        return true;
    }
}
