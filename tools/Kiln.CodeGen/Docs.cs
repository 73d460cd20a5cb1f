using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace Kiln.CodeGen;

/// <summary>Turns a model's HTML documentation into a one-line XML doc summary: tags stripped,
/// entities decoded, first sentence only. Anything that does not reduce cleanly gets no comment.</summary>
public static partial class Docs
{
    private const int MaxLength = 240;

    public static string? Summary(string? html)
    {
        if (string.IsNullOrWhiteSpace(html))
        {
            return null;
        }

        var text = WebUtility.HtmlDecode(Tags().Replace(html, " "));
        text = Spaces().Replace(text, " ").Trim();
        // Tags became spaces; "<a>Foo</a>." must not read "Foo .".
        text = SpaceBeforePunctuation().Replace(text, "$1");
        var end = SentenceEnd().Match(text);
        if (end.Success)
        {
            text = text[..(end.Index + 1)];
        }

        if (text.Length == 0 || text.Length > MaxLength)
        {
            return null;
        }

        return Escape(text);
    }

    /// <summary>A <c>/// &lt;summary&gt;</c> line, or nothing.</summary>
    public static void Write(List<string> lines, string indent, string? html)
    {
        if (Summary(html) is { } summary)
        {
            lines.Add($"{indent}/// <summary>{summary}</summary>");
        }
    }

    private static string Escape(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            switch (c)
            {
                case '&': sb.Append("&amp;"); break;
                case '<': sb.Append("&lt;"); break;
                case '>': sb.Append("&gt;"); break;
                default:
                    // Control characters and stray surrogates have no place in a comment line.
                    if (!char.IsControl(c) && !char.IsSurrogate(c))
                    {
                        sb.Append(c);
                    }

                    break;
            }
        }

        return sb.ToString();
    }

    [GeneratedRegex("<[^>]*>")]
    private static partial Regex Tags();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();

    [GeneratedRegex(@"\s+([.,;:!?)])")]
    private static partial Regex SpaceBeforePunctuation();

    // A period followed by whitespace and a capital letter ends a sentence; "e.g. foo" does not.
    [GeneratedRegex(@"\.(?=\s+[A-Z])")]
    private static partial Regex SentenceEnd();
}
