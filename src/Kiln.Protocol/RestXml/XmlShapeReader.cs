using System.Collections;
using System.Runtime.InteropServices;
using System.Xml;
using Kiln.Core.Shapes;
using Kiln.Protocol.Errors;
using Kiln.Protocol.Routing;

namespace Kiln.Protocol.RestXml;

/// <summary>Reads an XML request body into generated shapes with a forward-only
/// <see cref="XmlReader"/>: the mirror of botocore's <c>RestXMLSerializer</c>. Element names are
/// matched without their namespace (botocore strips it too); unknown elements are skipped;
/// flattened lists and maps repeat their element instead of wrapping it.
/// <para>Hardened for untrusted input: DTDs are prohibited (so no entity expansion, internal or
/// external), no resolver, and nesting is capped. Any of those, or XML that is not well-formed,
/// is S3's <c>MalformedXML</c>.</para></summary>
internal static class XmlShapeReader
{
    public const int MaxDepth = 64;

    private static readonly XmlReaderSettings Settings = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        IgnoreWhitespace = false,
        MaxCharactersFromEntities = 1024,
        CloseInput = true,
        ConformanceLevel = ConformanceLevel.Document,
    };

    /// <summary>Reads a payload document whose root must be one of <paramref name="rootNames"/>.</summary>
    public static object ReadDocument(ShapeInfo shape, ReadOnlyMemory<byte> body, params string[] rootNames)
    {
        var target = RestBinding.NewStructure(shape);
        Read(body, reader =>
        {
            if (rootNames.Length > 0 && Array.IndexOf(rootNames, reader.LocalName) < 0)
            {
                throw ProtocolErrors.MalformedXml();
            }

            ReadStructureContent(reader, target, shape, bodyMembersOnly: false);
        });
        return target;
    }

    /// <summary>Reads the members of a document of any root name into <paramref name="target"/>,
    /// binding only members without an HTTP location (rest-xml operations without a payload).</summary>
    public static void ReadInto(object target, ShapeInfo shape, ReadOnlyMemory<byte> body) =>
        Read(body, reader => ReadStructureContent(reader, target, shape, bodyMembersOnly: true));

    private static void Read(ReadOnlyMemory<byte> body, Action<XmlReader> readRoot)
    {
        var stream = BodyBytes.AsStream(body);
        try
        {
            using var reader = XmlReader.Create(stream, Settings);
            if (reader.MoveToContent() != XmlNodeType.Element)
            {
                throw ProtocolErrors.MalformedXml();
            }

            readRoot(reader);

            // Drain the rest so that trailing garbage or a second root is reported, not ignored.
            while (reader.Read())
            {
            }
        }
        catch (XmlException)
        {
            throw ProtocolErrors.MalformedXml();
        }
    }

    private static object ReadStructure(XmlReader reader, ShapeInfo shape)
    {
        var target = RestBinding.NewStructure(shape);
        ReadStructureContent(reader, target, shape, bodyMembersOnly: false);
        return target;
    }

    // On entry the reader is on the structure's start element; on exit, on its end element (or on
    // the element itself when it is empty). Every reader below keeps that contract.
    private static void ReadStructureContent(XmlReader reader, object target, ShapeInfo shape, bool bodyMembersOnly)
    {
        CheckDepth(reader);
        var lookup = ShapeLookup.For(shape);
        if (lookup.AttributeMembers.Length > 0 && reader.HasAttributes)
        {
            ReadAttributes(reader, target, lookup);
        }

        foreach (var _ in Children(reader))
        {
            if (lookup.ByXmlName.TryGetValue(reader.LocalName, out var member)
                && !(bodyMembersOnly && member.Location != MemberLocation.Body))
            {
                ReadMember(reader, target, member);
            }
            else
            {
                SkipToEnd(reader);
            }
        }
    }

    /// <summary>Moves to the end of the current element without reading past it.</summary>
    private static void SkipToEnd(XmlReader reader)
    {
        if (reader.IsEmptyElement)
        {
            return;
        }

        var depth = reader.Depth;
        while (reader.Read())
        {
            if (reader.NodeType == XmlNodeType.EndElement && reader.Depth == depth)
            {
                return;
            }
        }
    }

    private static void ReadMember(XmlReader reader, object target, MemberInfo member)
    {
        var shape = member.Shape;
        if (shape.Type == ShapeType.List && ShapeLookup.IsFlattened(member))
        {
            var list = member.Get(target) as IList;
            if (list is null)
            {
                list = RestBinding.NewList(shape);
                member.Set(target, list);
            }

            var item = ReadValue(reader, shape.Member?.Shape ?? throw RestBinding.MissingMetadata(shape));
            if (item is not null)
            {
                list.Add(item);
            }

            return;
        }

        if (shape.Type == ShapeType.Map && ShapeLookup.IsFlattened(member))
        {
            var map = member.Get(target) as IDictionary;
            if (map is null)
            {
                map = RestBinding.NewMap(shape);
                member.Set(target, map);
            }

            ReadEntry(reader, shape, map);
            return;
        }

        var value = ReadValue(reader, shape);
        if (value is not null)
        {
            member.Set(target, value);
        }
    }

    private static object? ReadValue(XmlReader reader, ShapeInfo shape)
    {
        switch (shape.Type)
        {
            case ShapeType.Structure:
                return ReadStructure(reader, shape);
            case ShapeType.List:
                CheckDepth(reader);
                var list = RestBinding.NewList(shape);
                var itemShape = shape.Member?.Shape ?? throw RestBinding.MissingMetadata(shape);
                foreach (var _ in Children(reader))
                {
                    var item = ReadValue(reader, itemShape);
                    if (item is not null)
                    {
                        list.Add(item);
                    }
                }

                return list;
            case ShapeType.Map:
                CheckDepth(reader);
                var map = RestBinding.NewMap(shape);
                foreach (var _ in Children(reader))
                {
                    ReadEntry(reader, shape, map);
                }

                return map;
            default:
                var text = ReadText(reader);
                if (!WireText.TryParseScalar(text, shape, out var value))
                {
                    throw ProtocolErrors.MalformedXml();
                }

                return value;
        }
    }

    // One <entry> (or one flattened map element): a key child and a value child.
    private static void ReadEntry(XmlReader reader, ShapeInfo mapShape, IDictionary map)
    {
        CheckDepth(reader);
        var keyName = mapShape.Key?.LocationName ?? "key";
        var valueName = mapShape.Value?.LocationName ?? "value";
        var valueShape = mapShape.Value?.Shape ?? throw RestBinding.MissingMetadata(mapShape);
        string? key = null;
        object? value = null;
        foreach (var _ in Children(reader))
        {
            if (reader.LocalName == keyName)
            {
                key = ReadText(reader);
            }
            else if (reader.LocalName == valueName)
            {
                value = ReadValue(reader, valueShape);
            }
            else
            {
                throw ProtocolErrors.MalformedXml();
            }
        }

        if (key is null)
        {
            throw ProtocolErrors.MalformedXml();
        }

        if (value is not null)
        {
            map[key] = value;
        }
    }

    /// <summary>Yields once per child element, with the reader on the child's start element; the
    /// consumer must read the child to its end. Ends with the reader on the parent's end element.</summary>
    private static IEnumerable<int> Children(XmlReader reader)
    {
        if (reader.IsEmptyElement)
        {
            yield break;
        }

        var depth = reader.Depth;
        while (reader.Read())
        {
            if (reader.NodeType == XmlNodeType.EndElement && reader.Depth == depth)
            {
                yield break;
            }

            if (reader.NodeType == XmlNodeType.Element)
            {
                yield return 0;
            }
        }
    }

    /// <summary>The text of a scalar element (empty for <c>&lt;a/&gt;</c>); leaves the reader on its end.</summary>
    private static string ReadText(XmlReader reader)
    {
        if (reader.IsEmptyElement)
        {
            return "";
        }

        string? single = null;
        System.Text.StringBuilder? many = null;
        while (reader.Read())
        {
            switch (reader.NodeType)
            {
                case XmlNodeType.Text:
                case XmlNodeType.CDATA:
                case XmlNodeType.Whitespace:
                case XmlNodeType.SignificantWhitespace:
                    if (single is null)
                    {
                        single = reader.Value;
                    }
                    else
                    {
                        many ??= new System.Text.StringBuilder(single);
                        many.Append(reader.Value);
                    }

                    break;
                case XmlNodeType.EndElement:
                    return many?.ToString() ?? single ?? "";
                case XmlNodeType.Element:
                    // A scalar with child elements is not what the schema allows.
                    throw ProtocolErrors.MalformedXml();
            }
        }

        throw ProtocolErrors.MalformedXml();
    }

    private static void CheckDepth(XmlReader reader)
    {
        if (reader.Depth >= MaxDepth)
        {
            throw ProtocolErrors.MalformedXml();
        }
    }

    private static void ReadAttributes(XmlReader reader, object target, ShapeLookup lookup)
    {
        foreach (var m in lookup.AttributeMembers)
        {
            var name = m.LocationName ?? m.Name;
            var value = reader.GetAttribute(name);
            if (value is null)
            {
                // The prefix is the client's choice; match on the local part (xsi:type -> type).
                var colon = name.IndexOf(':');
                var local = colon < 0 ? name : name[(colon + 1)..];
                for (var i = 0; i < reader.AttributeCount; i++)
                {
                    reader.MoveToAttribute(i);
                    if (reader.LocalName == local && reader.Prefix != "xmlns")
                    {
                        value = reader.Value;
                        break;
                    }
                }

                reader.MoveToElement();
            }

            if (value is not null)
            {
                if (!WireText.TryParseScalar(value, m.Shape, out var parsed))
                {
                    throw ProtocolErrors.MalformedXml();
                }

                m.Set(target, parsed);
            }
        }
    }
}
