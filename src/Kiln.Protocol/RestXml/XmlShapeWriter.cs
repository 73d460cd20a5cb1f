using System.Collections;
using Kiln.Core.Shapes;
using Kiln.Protocol.Routing;

namespace Kiln.Protocol.RestXml;

/// <summary>Writes generated shapes as XML for rest-xml and query responses: the mirror of
/// botocore's <c>BaseXMLResponseParser</c>. Lists wrap their items in <c>&lt;member&gt;</c> (or the
/// item's locationName) unless flattened, when the item element repeats under the member's name;
/// maps are <c>&lt;entry&gt;&lt;key/&gt;&lt;value/&gt;&lt;/entry&gt;</c> (flattened: the entry
/// element repeats); xmlAttribute members become attributes of their structure, with the
/// <c>xmlns:prefix</c> the shape's xmlNamespace gives (S3 <c>Grantee xsi:type</c>); timestamps are
/// ISO 8601 with milliseconds unless the model says otherwise.</summary>
internal static class XmlShapeWriter
{
    /// <summary>Writes <paramref name="value"/> as element <paramref name="name"/>. With
    /// <paramref name="bodyMembersOnly"/>, members that travel in headers or the status line stay out.</summary>
    public static void WriteStructure(XmlOutput xml, string name, object value, ShapeInfo shape, string? xmlns,
        bool bodyMembersOnly)
    {
        var lookup = ShapeLookup.For(shape);
        xml.StartElement(name);
        WriteNamespaces(xml, shape, lookup, xmlns);
        foreach (var m in lookup.AttributeMembers)
        {
            if (m.Get(value) is { } attribute)
            {
                xml.Attribute(m.LocationName ?? m.Name,
                    WireText.FormatScalar(attribute, m.Shape, WireText.TimestampFormatOf(m, WireText.Iso8601)));
            }
        }

        WriteMembers(xml, value, bodyMembersOnly ? lookup.BodyMembers : shape.Members);
        xml.EndElement(name);
    }

    /// <summary>Writes the members of <paramref name="value"/> as children of the current element.</summary>
    public static void WriteMembers(XmlOutput xml, object value, MemberInfo[] members)
    {
        foreach (var m in members)
        {
            if (m.XmlAttribute)
            {
                continue;
            }

            var v = m.Get(value);
            if (v is not null)
            {
                WriteMember(xml, m, v);
            }
        }
    }

    private static void WriteNamespaces(XmlOutput xml, ShapeInfo shape, ShapeLookup lookup, string? xmlns)
    {
        if (xmlns is not null)
        {
            xml.Attribute("xmlns", xmlns);
        }

        if (shape.XmlNamespace is not { } uri)
        {
            return;
        }

        // The model gives a shape-level namespace with a prefix only for the prefixed attributes it
        // carries (Grantee: xsi for xsi:type); without one it is the element's default namespace.
        foreach (var m in lookup.AttributeMembers)
        {
            var attribute = m.LocationName ?? m.Name;
            var colon = attribute.IndexOf(':');
            if (colon > 0)
            {
                xml.Attribute("xmlns:" + attribute[..colon], uri);
                return;
            }
        }

        if (xmlns is null)
        {
            xml.Attribute("xmlns", uri);
        }
    }

    private static void WriteMember(XmlOutput xml, MemberInfo member, object value)
    {
        var shape = member.Shape;
        var name = ShapeLookup.SerializedName(member);
        var format = WireText.TimestampFormatOf(member, WireText.Iso8601);
        switch (shape.Type)
        {
            case ShapeType.List when ShapeLookup.IsFlattened(member):
                var itemName = ShapeLookup.XmlName(member);
                var itemShape = shape.Member?.Shape ?? throw RestBinding.MissingMetadata(shape);
                foreach (var item in (IEnumerable)value)
                {
                    if (item is not null)
                    {
                        WriteValue(xml, itemName, item, itemShape, itemShape.TimestampFormat ?? format, null);
                    }
                }

                return;
            case ShapeType.Map when ShapeLookup.IsFlattened(member):
                foreach (DictionaryEntry entry in (IDictionary)value)
                {
                    WriteEntry(xml, name, shape, entry);
                }

                return;
            default:
                WriteValue(xml, name, value, shape, format, member);
                return;
        }
    }

    private static void WriteValue(XmlOutput xml, string name, object value, ShapeInfo shape, string timestampFormat,
        MemberInfo? member)
    {
        switch (shape.Type)
        {
            case ShapeType.Structure:
                WriteStructure(xml, name, value, shape, member?.XmlNamespacePrefix is null ? member?.XmlNamespaceUri : null,
                    bodyMembersOnly: false);
                return;
            case ShapeType.List:
                var itemShape = shape.Member?.Shape ?? throw RestBinding.MissingMetadata(shape);
                var itemName = shape.Member.LocationName ?? "member";
                xml.StartElement(name);
                foreach (var item in (IEnumerable)value)
                {
                    if (item is not null)
                    {
                        WriteValue(xml, itemName, item, itemShape, itemShape.TimestampFormat ?? timestampFormat, null);
                    }
                }

                xml.EndElement(name);
                return;
            case ShapeType.Map:
                xml.StartElement(name);
                foreach (DictionaryEntry entry in (IDictionary)value)
                {
                    WriteEntry(xml, "entry", shape, entry);
                }

                xml.EndElement(name);
                return;
            default:
                xml.Element(name, WireText.FormatScalar(value, shape, timestampFormat));
                return;
        }
    }

    private static void WriteEntry(XmlOutput xml, string entryName, ShapeInfo mapShape, DictionaryEntry entry)
    {
        var keyName = mapShape.Key?.LocationName ?? "key";
        var valueName = mapShape.Value?.LocationName ?? "value";
        var valueShape = mapShape.Value?.Shape ?? throw RestBinding.MissingMetadata(mapShape);
        xml.StartElement(entryName);
        xml.Element(keyName, (string)entry.Key);
        if (entry.Value is not null)
        {
            WriteValue(xml, valueName, entry.Value, valueShape, valueShape.TimestampFormat ?? WireText.Iso8601, null);
        }

        xml.EndElement(entryName);
    }
}
