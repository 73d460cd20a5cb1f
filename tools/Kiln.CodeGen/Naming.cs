using System.Globalization;
using System.Text;

namespace Kiln.CodeGen;

/// <summary>C# identifiers and literals for names and values taken from the models.</summary>
public static class Naming
{
    // Reserved C# keywords, plus `field`, which C# 14 treats as a keyword inside property accessors.
    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "abstract", "as", "base", "bool", "break", "byte", "case", "catch", "char", "checked", "class", "const",
        "continue", "decimal", "default", "delegate", "do", "double", "else", "enum", "event", "explicit",
        "extern", "false", "finally", "fixed", "float", "for", "foreach", "goto", "if", "implicit", "in", "int",
        "interface", "internal", "is", "lock", "long", "namespace", "new", "null", "object", "operator", "out",
        "override", "params", "private", "protected", "public", "readonly", "ref", "return", "sbyte", "sealed",
        "short", "sizeof", "stackalloc", "static", "string", "struct", "switch", "this", "throw", "true", "try",
        "typeof", "uint", "ulong", "unchecked", "unsafe", "ushort", "using", "virtual", "void", "volatile",
        "while", "field",
    };

    /// <summary>Members of <see cref="object"/> a generated property would hide; such properties get <c>new</c>.</summary>
    public static readonly IReadOnlySet<string> ObjectMembers = new HashSet<string>(StringComparer.Ordinal)
    {
        "Equals", "GetHashCode", "GetType", "ToString", "MemberwiseClone", "ReferenceEquals", "Finalize",
    };

    public static bool IsValidIdentifier(string name) =>
        name.Length > 0
        && (char.IsLetter(name[0]) || name[0] == '_')
        && name.All(c => char.IsLetterOrDigit(c) || c == '_');

    /// <summary>The model name as a C# identifier: unchanged, or with <c>@</c> when it is a keyword.</summary>
    public static string Escape(string name)
    {
        if (!IsValidIdentifier(name))
        {
            throw new InvalidDataException($"'{name}' is not a valid C# identifier; add a mapping rule in Naming");
        }

        return Keywords.Contains(name) ? "@" + name : name;
    }

    /// <summary>A C# regular string literal. Everything outside printable ASCII is \u-escaped, so the
    /// generated files are plain ASCII apart from doc comments and lone surrogates survive.</summary>
    public static string Literal(string value)
    {
        var sb = new StringBuilder(value.Length + 2);
        sb.Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c < 0x20 || c > 0x7e)
                    {
                        sb.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(c);
                    }

                    break;
            }
        }

        return sb.Append('"').ToString();
    }

    public static string Literal(bool value) => value ? "true" : "false";

    public static string Literal(long value) => value.ToString(CultureInfo.InvariantCulture);
}
