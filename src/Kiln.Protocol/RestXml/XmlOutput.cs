using System.Buffers;
using System.Text;

namespace Kiln.Protocol.RestXml;

/// <summary>A minimal forward-only UTF-8 XML writer over an <see cref="IBufferWriter{T}"/>.
/// Hand-written rather than <see cref="System.Xml.XmlWriter"/> so the bytes are exactly what AWS
/// sends (its <c>UTF-8</c> declaration spelling, prefixed attributes such as <c>xsi:type</c> with
/// their <c>xmlns:xsi</c>) and nothing is allocated per element.</summary>
internal sealed class XmlOutput(IBufferWriter<byte> output)
{
    private bool _tagOpen;

    /// <summary><c>&lt;?xml version="1.0" encoding="UTF-8"?&gt;</c> and a newline, as S3 starts
    /// its documents.</summary>
    public void Declaration() => output.Write(RestXmlWire.Declaration);

    public void StartElement(string name)
    {
        CloseTag();
        WriteAscii('<');
        WriteRaw(name);
        _tagOpen = true;
    }

    /// <summary>An attribute of the element just started. Only valid before any content.</summary>
    public void Attribute(string name, string value)
    {
        if (!_tagOpen)
        {
            throw new InvalidOperationException("An attribute must follow StartElement.");
        }

        WriteAscii(' ');
        WriteRaw(name);
        output.Write("=\""u8);
        WriteEscaped(value, attribute: true);
        WriteAscii('"');
    }

    public void EndElement(string name)
    {
        if (_tagOpen)
        {
            output.Write("/>"u8);
            _tagOpen = false;
            return;
        }

        output.Write("</"u8);
        WriteRaw(name);
        WriteAscii('>');
    }

    public void Text(string text)
    {
        CloseTag();
        WriteEscaped(text, attribute: false);
    }

    public void Element(string name, string text)
    {
        StartElement(name);
        if (text.Length > 0)
        {
            Text(text);
        }

        EndElement(name);
    }

    private void CloseTag()
    {
        if (_tagOpen)
        {
            WriteAscii('>');
            _tagOpen = false;
        }
    }

    private void WriteAscii(char c)
    {
        var span = output.GetSpan(1);
        span[0] = (byte)c;
        output.Advance(1);
    }

    private void WriteRaw(ReadOnlySpan<char> text)
    {
        var span = output.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length));
        output.Advance(Encoding.UTF8.GetBytes(text, span));
    }

    // XML 1.0 escaping. Control characters are written as character references the way S3 writes
    // keys that contain them; \r, \n and \t inside attributes are escaped so attribute-value
    // normalisation does not turn them into spaces.
    private void WriteEscaped(string text, bool attribute)
    {
        var s = text.AsSpan();
        var start = 0;
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            ReadOnlySpan<byte> escape;
            switch (c)
            {
                case '&':
                    escape = "&amp;"u8;
                    break;
                case '<':
                    escape = "&lt;"u8;
                    break;
                case '>':
                    escape = "&gt;"u8;
                    break;
                case '"':
                    escape = "&quot;"u8;
                    break;
                case '\r':
                    escape = "&#xD;"u8;
                    break;
                case '\n' when attribute:
                    escape = "&#xA;"u8;
                    break;
                case '\t' when attribute:
                    escape = "&#x9;"u8;
                    break;
                default:
                    if (c < 0x20 && c != '\n' && c != '\t')
                    {
                        WriteRaw(s[start..i]);
                        WriteRaw($"&#x{(int)c:X};");
                        start = i + 1;
                    }

                    continue;
            }

            WriteRaw(s[start..i]);
            output.Write(escape);
            start = i + 1;
        }

        WriteRaw(s[start..]);
    }
}
