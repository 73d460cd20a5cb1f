using System.Collections;
using System.Text.Encodings.Web;
using System.Text.Json;
using Kiln.Core.Shapes;
using Kiln.Protocol.Routing;

namespace Kiln.Protocol.Json;

/// <summary>Writes generated shapes as JSON with <see cref="Utf8JsonWriter"/>, the mirror of
/// botocore's <c>BaseJSONParser</c>: null members are left out, blobs are base64, timestamps are
/// epoch seconds with a fraction only when there is one.</summary>
internal static class JsonShapeWriter
{
    /// <summary>AWS sends UTF-8 as is and does not HTML-escape; the relaxed encoder matches that.</summary>
    public static readonly JsonWriterOptions Options = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
    };

    /// <summary>Writes a structure; with <paramref name="bodyMembersOnly"/> its located members
    /// (headers, status code) stay out of the body (rest-json top level).</summary>
    public static void WriteStructure(Utf8JsonWriter writer, object value, ShapeInfo shape, bool bodyMembersOnly)
    {
        if (shape.IsDocument)
        {
            WriteDocument(writer, value);
            return;
        }

        writer.WriteStartObject();
        var members = bodyMembersOnly ? ShapeLookup.For(shape).BodyMembers : shape.Members;
        foreach (var m in members)
        {
            var v = m.Get(value);
            if (v is null)
            {
                continue;
            }

            writer.WritePropertyName(ShapeLookup.SerializedName(m));
            WriteValue(writer, v, m.Shape, WireText.TimestampFormatOf(m, WireText.UnixTimestamp));
        }

        writer.WriteEndObject();
    }

    private static void WriteValue(Utf8JsonWriter writer, object value, ShapeInfo shape, string timestampFormat)
    {
        switch (shape.Type)
        {
            case ShapeType.Structure:
                WriteStructure(writer, value, shape, bodyMembersOnly: false);
                return;
            case ShapeType.List:
                var itemShape = shape.Member?.Shape ?? throw RestBinding.MissingMetadata(shape);
                var itemFormat = itemShape.TimestampFormat ?? WireText.UnixTimestamp;
                writer.WriteStartArray();
                foreach (var item in (IEnumerable)value)
                {
                    if (item is null)
                    {
                        writer.WriteNullValue();
                        continue;
                    }

                    WriteValue(writer, item, itemShape, itemFormat);
                }

                writer.WriteEndArray();
                return;
            case ShapeType.Map:
                var valueShape = shape.Value?.Shape ?? throw RestBinding.MissingMetadata(shape);
                var valueFormat = valueShape.TimestampFormat ?? WireText.UnixTimestamp;
                writer.WriteStartObject();
                foreach (DictionaryEntry entry in (IDictionary)value)
                {
                    writer.WritePropertyName((string)entry.Key);
                    if (entry.Value is null)
                    {
                        writer.WriteNullValue();
                        continue;
                    }

                    WriteValue(writer, entry.Value, valueShape, valueFormat);
                }

                writer.WriteEndObject();
                return;
        }

        switch (value)
        {
            case string s:
                writer.WriteStringValue(s);
                return;
            case bool b:
                writer.WriteBooleanValue(b);
                return;
            case int i:
                writer.WriteNumberValue(i);
                return;
            case long l:
                writer.WriteNumberValue(l);
                return;
            case float f:
                if (float.IsFinite(f))
                {
                    writer.WriteNumberValue(f);
                }
                else
                {
                    writer.WriteStringValue(WireText.FormatFloat(f));
                }

                return;
            case double d:
                if (double.IsFinite(d))
                {
                    writer.WriteNumberValue(d);
                }
                else
                {
                    writer.WriteStringValue(WireText.FormatDouble(d));
                }

                return;
            case DateTimeOffset t:
                if (string.Equals(timestampFormat, WireText.UnixTimestamp, StringComparison.OrdinalIgnoreCase))
                {
                    writer.WriteRawValue(WireText.FormatEpochSeconds(t), skipInputValidation: true);
                }
                else
                {
                    writer.WriteStringValue(WireText.FormatTimestamp(t, timestampFormat));
                }

                return;
            case byte[] bytes:
                writer.WriteBase64StringValue(bytes);
                return;
            case ReadOnlyMemory<byte> memory:
                writer.WriteBase64StringValue(memory.Span);
                return;
            default:
                writer.WriteStringValue(WireText.FormatScalar(value, shape, timestampFormat));
                return;
        }
    }

    /// <summary>A document-typed member: a <see cref="JsonElement"/>, or JSON text as a string.</summary>
    private static void WriteDocument(Utf8JsonWriter writer, object value)
    {
        switch (value)
        {
            case JsonElement element:
                element.WriteTo(writer);
                return;
            case string json:
                writer.WriteRawValue(json);
                return;
            default:
                JsonSerializer.Serialize(writer, value, value.GetType());
                return;
        }
    }
}
