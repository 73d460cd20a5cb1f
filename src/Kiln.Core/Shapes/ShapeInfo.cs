using System.Collections;

namespace Kiln.Core.Shapes;

/// <summary>Run-time description of one shape of an AWS service model, emitted by Kiln.CodeGen.
/// Codecs walk it instead of reflecting over the generated classes. Instances are built once by
/// the generated model class and never change after <see cref="ServiceInfo"/> construction.</summary>
public sealed class ShapeInfo
{
    public ShapeInfo(string name, ShapeType type)
    {
        Name = name;
        Type = type;
    }

    public string Name { get; }
    public ShapeType Type { get; }

    // Structure
    public MemberInfo[] Members { get; set; } = [];
    /// <summary>Creates an empty instance of the generated class (structures only).</summary>
    public Func<object>? Create { get; set; }
    /// <summary>Name of the member that is the whole HTTP body (rest protocols), if any.</summary>
    public string? Payload { get; set; }
    /// <summary>The structure is an error shape; <see cref="Error"/> holds its code and status.</summary>
    public ErrorInfo? Error { get; set; }
    public bool IsUnion { get; set; }
    public bool IsDocument { get; set; }

    // List: Member; Map: Key and Value. Their location names matter in XML and query.
    public ShapeRef? Member { get; set; }
    public ShapeRef? Key { get; set; }
    public ShapeRef? Value { get; set; }
    public bool Flattened { get; set; }
    /// <summary>Creates an empty <c>List&lt;T&gt;</c> (lists) or <c>Dictionary&lt;string,T&gt;</c> (maps).</summary>
    public Func<IList>? CreateList { get; set; }
    public Func<IDictionary>? CreateMap { get; set; }

    // Scalars
    public string? TimestampFormat { get; set; }
    public bool Streaming { get; set; }
    public string[]? Enum { get; set; }
    public long? Min { get; set; }
    public long? Max { get; set; }
    public string? Pattern { get; set; }

    /// <summary>XML name of the shape when it is the root element (rest-xml payloads).</summary>
    public string? LocationName { get; set; }
    public string? XmlNamespace { get; set; }

    private Dictionary<string, MemberInfo>? _byName;

    public MemberInfo? FindMember(string name)
    {
        _byName ??= Members.ToDictionary(m => m.Name, StringComparer.Ordinal);
        return _byName.GetValueOrDefault(name);
    }

    public override string ToString() => $"{Name} ({Type})";
}

/// <summary>A reference from a list or map to its element shape, with the element's XML/query name.</summary>
public sealed class ShapeRef(ShapeInfo shape, string? locationName = null)
{
    public ShapeInfo Shape { get; } = shape;
    public string? LocationName { get; } = locationName;
}

/// <summary>One member of a structure: its wire names, where it travels, and typed access to the
/// generated property through delegates (no reflection on the request path).</summary>
public sealed class MemberInfo
{
    public MemberInfo(string name, ShapeInfo shape, Func<object, object?> get, Action<object, object?> set)
    {
        Name = name;
        Shape = shape;
        Get = get;
        Set = set;
    }

    /// <summary>The member name in the model (the JSON key, and the XML/query name unless overridden).</summary>
    public string Name { get; }
    public ShapeInfo Shape { get; }
    public Func<object, object?> Get { get; }
    public Action<object, object?> Set { get; }

    public MemberLocation Location { get; set; } = MemberLocation.Body;
    /// <summary>Wire name: header name, URI label, query key, header prefix, or XML element name.</summary>
    public string? LocationName { get; set; }
    /// <summary>Query protocol name (<c>queryName</c>) when it differs.</summary>
    public string? QueryName { get; set; }
    public bool Required { get; set; }
    public bool XmlAttribute { get; set; }
    public string? XmlNamespacePrefix { get; set; }
    public string? XmlNamespaceUri { get; set; }
    /// <summary>Member-level override of the target's flattened flag.</summary>
    public bool Flattened { get; set; }
    public string? TimestampFormat { get; set; }
    /// <summary>A header carrying JSON that is base64-encoded (<c>jsonvalue</c>).</summary>
    public bool JsonValue { get; set; }
    public bool HostLabel { get; set; }
    public bool IdempotencyToken { get; set; }

    /// <summary>The name this member has in an XML body or a query string.</summary>
    public string WireName => LocationName ?? Name;

    public override string ToString() => $"{Name}: {Shape.Name}";
}

/// <summary>Error shape facts from the model's <c>error</c> trait.</summary>
public sealed record ErrorInfo(string Code, int HttpStatusCode, bool SenderFault);
