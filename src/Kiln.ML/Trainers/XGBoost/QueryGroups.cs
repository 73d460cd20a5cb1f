using System.Globalization;
using Kiln.ML.Data;

namespace Kiln.ML.Trainers.XGBoost;

/// <summary>
/// Query groups for XGBoost's rank: objectives, in the two forms libxgboost's own text loader reads
/// (https://xgboost.readthedocs.io/en/release_1.7.0/tutorials/input_format.html): a <c>qid:N</c> token
/// after the label of each text/libsvm row, or a group file beside the data, <c>FILE.group</c>, with
/// one group size per line. Either way the result is what XGDMatrixSetUIntInfo("group") takes: the
/// sizes of consecutive runs of rows. Kiln's libsvm reader skips qid tokens, so this reads them
/// from the file a second time; it parses nothing else of each row.
/// </summary>
public static class QueryGroups
{
    /// <summary>
    /// The groups of a data file: its qid tokens, else its .group file, else null. Only text/libsvm
    /// rows can carry qid tokens, so a file of any other content type is not read here.
    /// </summary>
    public static uint[]? Find(string dataPath, string contentType)
    {
        var groups = ContentTypes.Normalize(contentType, ContentTypes.Readable) == ContentTypes.LibSvm ? FromLibSvm(dataPath) : null;
        if (groups is not null)
        {
            return groups;
        }
        var groupFile = dataPath + ".group";
        return File.Exists(groupFile) ? FromGroupFile(groupFile) : null;
    }

    /// <summary>
    /// Group sizes from the qid tokens of a text/libsvm file (gzip allowed); null when no row has one.
    /// Rows of one query must be adjacent, as libxgboost requires; a row without qid among rows
    /// with one is an error naming its line.
    /// </summary>
    public static uint[]? FromLibSvm(string path)
    {
        var source = Path.GetFileName(path);
        var sizes = new List<uint>();
        var seen = new HashSet<long>();
        long? current = null;
        var rows = 0L;
        using var reader = new StreamReader(InputFile.Open(path));
        long lineNo = 0;
        while (reader.ReadLine() is { } text)
        {
            lineNo++;
            var line = text.AsSpan().Trim();
            if (line.IsEmpty || line[0] == '#')
            {
                continue;
            }
            rows++;
            var qid = Qid(line, source, lineNo);
            if (qid is null)
            {
                if (current is not null)
                {
                    throw new DataFormatException(source, lineNo, 2, "this row has no qid: but earlier rows do");
                }
                continue;
            }
            if (current is null && rows > 1)
            {
                throw new DataFormatException(source, lineNo, 2, "this row has a qid: but earlier rows do not");
            }
            if (qid == current)
            {
                sizes[^1]++;
                continue;
            }
            if (!seen.Add(qid.Value))
            {
                throw new DataFormatException(source, lineNo, 2, $"qid {qid} appears again after other queries; sort the rows by query");
            }
            current = qid;
            sizes.Add(1);
        }
        return current is null ? null : [.. sizes];
    }

    /// <summary>The qid of a row: the token after the label, if it is qid:N.</summary>
    private static long? Qid(ReadOnlySpan<char> line, string source, long lineNo)
    {
        var space = line.IndexOfAny(' ', '\t');
        if (space < 0)
        {
            return null;
        }
        var rest = line[(space + 1)..].TrimStart();
        if (!rest.StartsWith("qid:"))
        {
            return null;
        }
        var end = rest.IndexOfAny(' ', '\t');
        var token = rest[4..(end < 0 ? rest.Length : end)];
        if (!long.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var qid))
        {
            throw new DataFormatException(source, lineNo, 2, $"'qid:{token.ToString()}' is not qid:integer");
        }
        return qid;
    }

    /// <summary>Group sizes from a group file: one positive integer per non-empty line.</summary>
    public static uint[] FromGroupFile(string path)
    {
        var source = Path.GetFileName(path);
        var sizes = new List<uint>();
        long lineNo = 0;
        foreach (var text in File.ReadLines(path))
        {
            lineNo++;
            var line = text.AsSpan().Trim();
            if (line.IsEmpty)
            {
                continue;
            }
            if (!uint.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var size) || size == 0)
            {
                throw new DataFormatException(source, lineNo, 1, $"'{line.ToString()}' is not a group size (a positive integer)");
            }
            sizes.Add(size);
        }
        return [.. sizes];
    }

    /// <summary>Checks the groups cover exactly <paramref name="rows"/> rows.</summary>
    internal static void Check(uint[] groups, int rows, string channel)
    {
        var total = groups.Aggregate(0L, (s, g) => s + g);
        if (total != rows)
        {
            throw new DataFormatException(channel, 0, 0, $"the query groups cover {total} rows but the channel has {rows}");
        }
    }
}
