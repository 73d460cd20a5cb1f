using System.Collections.Frozen;
using System.Runtime.CompilerServices;
using Kiln.Core.Shapes;

namespace Kiln.Protocol.Routing;

/// <summary>Per-structure indexes the codecs need on every request: members by wire name and by
/// HTTP location. Built once per <see cref="ShapeInfo"/> on first use and cached beside it, so the
/// generated model stays plain data.</summary>
internal sealed class ShapeLookup
{
    private static readonly ConditionalWeakTable<ShapeInfo, ShapeLookup> Cache = new();

    private ShapeLookup(ShapeInfo shape)
    {
        Shape = shape;
        var body = new List<MemberInfo>();
        var headers = new List<MemberInfo>();
        var headerMaps = new List<MemberInfo>();
        var uri = new List<MemberInfo>();
        var query = new List<MemberInfo>();
        var attributes = new List<MemberInfo>();
        var byJson = new Dictionary<string, MemberInfo>(StringComparer.Ordinal);
        var byXml = new Dictionary<string, MemberInfo>(StringComparer.Ordinal);
        foreach (var m in shape.Members)
        {
            switch (m.Location)
            {
                case MemberLocation.Header:
                    headers.Add(m);
                    break;
                case MemberLocation.Headers:
                    headerMaps.Add(m);
                    break;
                case MemberLocation.Uri:
                    uri.Add(m);
                    break;
                case MemberLocation.QueryString:
                    query.Add(m);
                    break;
                case MemberLocation.StatusCode:
                    StatusCodeMember = m;
                    break;
                default:
                    body.Add(m);
                    if (m.XmlAttribute)
                    {
                        attributes.Add(m);
                    }
                    else
                    {
                        byXml.TryAdd(XmlName(m), m);
                    }

                    byJson.TryAdd(SerializedName(m), m);
                    break;
            }
        }

        if (shape.Payload is { } payload)
        {
            PayloadMember = shape.FindMember(payload);
        }

        BodyMembers = [.. body];
        HeaderMembers = [.. headers];
        HeaderMapMembers = [.. headerMaps];
        UriMembers = [.. uri];
        QueryMembers = [.. query];
        AttributeMembers = [.. attributes];
        ByJsonName = byJson.ToFrozenDictionary(StringComparer.Ordinal);
        ByXmlName = byXml.ToFrozenDictionary(StringComparer.Ordinal);
    }

    public ShapeInfo Shape { get; }
    /// <summary>Members without an HTTP location (the JSON/XML/query body), in model order.</summary>
    public MemberInfo[] BodyMembers { get; }
    public MemberInfo[] HeaderMembers { get; }
    public MemberInfo[] HeaderMapMembers { get; }
    public MemberInfo[] UriMembers { get; }
    public MemberInfo[] QueryMembers { get; }
    public MemberInfo[] AttributeMembers { get; }
    public MemberInfo? StatusCodeMember { get; }
    public MemberInfo? PayloadMember { get; }
    public FrozenDictionary<string, MemberInfo> ByJsonName { get; }
    /// <summary>Body members by the XML element name they appear under (flattened lists by the
    /// name of their items, as botocore's <c>_member_key_name</c>).</summary>
    public FrozenDictionary<string, MemberInfo> ByXmlName { get; }

    public static ShapeLookup For(ShapeInfo shape) => Cache.GetValue(shape, static s => new ShapeLookup(s));

    /// <summary>botocore's <c>serialization['name']</c>: the member's locationName, else the
    /// target shape's, else the member name.</summary>
    public static string SerializedName(MemberInfo member) =>
        member.LocationName ?? member.Shape.LocationName ?? member.Name;

    public static bool IsFlattened(MemberInfo member) => member.Flattened || member.Shape.Flattened;

    /// <summary>The element a member is written as. A flattened list whose items have a
    /// locationName repeats that name instead of the member's (SQS <c>Attribute</c>, S3 <c>Error</c>
    /// is the member's own name).</summary>
    public static string XmlName(MemberInfo member)
    {
        if (member.Shape.Type == ShapeType.List && IsFlattened(member) && member.Shape.Member?.LocationName is { } item)
        {
            return item;
        }

        return SerializedName(member);
    }

    /// <summary>Query protocol key of a member (ec2's <c>queryName</c> wins when present).</summary>
    public static string QueryName(MemberInfo member) => member.QueryName ?? SerializedName(member);
}
