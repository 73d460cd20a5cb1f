namespace Kiln.Core.Shapes;

/// <summary>The botocore shape types. Values at run time: Structure → the generated class,
/// List → <c>List&lt;T&gt;</c>, Map → <c>Dictionary&lt;string, T&gt;</c>, String → string (enums too),
/// Integer → int, Long → long, Float → float, Double → double, Boolean → bool,
/// Timestamp → DateTimeOffset, Blob → byte[] (or Stream when the member is a streaming payload).</summary>
public enum ShapeType
{
    Structure,
    List,
    Map,
    String,
    Integer,
    Long,
    Float,
    Double,
    Boolean,
    Timestamp,
    Blob,
}

/// <summary>Where a member of an input or output structure travels (botocore <c>location</c>).</summary>
public enum MemberLocation
{
    Body,
    Header,
    /// <summary>A map spread over headers that share a prefix (S3 <c>x-amz-meta-</c>).</summary>
    Headers,
    Uri,
    QueryString,
    StatusCode,
}
