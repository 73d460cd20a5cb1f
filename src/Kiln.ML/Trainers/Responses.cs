using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Kiln.ML.Data;

namespace Kiln.ML.Trainers;

/// <summary>
/// SageMaker's inference response shapes. JSON wraps the records in one object
/// (<c>{"predictions": [...]}</c> or <c>{"projections": [...]}</c>); JSON lines writes one object per
/// line; CSV writes one line per record. Each algorithm supplies the fields of one record.
/// </summary>
internal static class Responses
{
    public static string Accept(string accept) =>
        ContentTypes.Normalize(accept, ContentTypes.Json, ContentTypes.JsonLines, ContentTypes.Csv);

    /// <summary>Writes rows [0, count) with <paramref name="writeRecord"/> (JSON) or <paramref name="writeCsv"/> (CSV).</summary>
    public static void Write(TextWriter output, string accept, string arrayName, int count,
        Action<Utf8JsonWriter, int> writeRecord, Action<TextWriter, int> writeCsv)
    {
        switch (Accept(accept))
        {
            case ContentTypes.Csv:
                for (var i = 0; i < count; i++)
                {
                    writeCsv(output, i);
                    output.Write('\n');
                }
                break;
            case ContentTypes.JsonLines:
                for (var i = 0; i < count; i++)
                {
                    output.Write(Json(w => writeRecord(w, i)));
                    output.Write('\n');
                }
                break;
            default:
                output.Write(Json(w =>
                {
                    w.WriteStartObject();
                    w.WriteStartArray(arrayName);
                    for (var i = 0; i < count; i++)
                    {
                        writeRecord(w, i);
                    }
                    w.WriteEndArray();
                    w.WriteEndObject();
                }));
                output.Write('\n');
                break;
        }
    }

    public static string F(float v) => v.ToString("R", CultureInfo.InvariantCulture);

    private static string Json(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            write(w);
        }
        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
