using System.Collections;
using Kiln.Core.Shapes;

namespace Kiln.Services.Iam.Authorization;

/// <summary>One authorization check of a request: an IAM action on resource ARNs with the condition
/// keys the request supplies.</summary>
/// <param name="VersionId">The object version the request names for this check's resource (its versionId,
/// or a copy source's <c>?versionId=</c>); null for the latest. An object's ACL is stored per version, so
/// the resource policy that carries its grants depends on it.</param>
public sealed record ActionCheck(string Action, IReadOnlyList<string> Resources, IReadOnlyDictionary<string, string[]> Conditions,
    string? VersionId = null);

/// <summary>
/// Maps an operation to its IAM action(s) and resource ARN(s), per the AWS Service Authorization
/// Reference ("Actions, resources, and condition keys for ..."). Table-driven: the default is
/// <c>&lt;signing name&gt;:&lt;Operation&gt;</c> on <c>*</c>, services with resource types get a default
/// resource template, and the operations whose action or resource differ are listed in
/// <see cref="s_rules"/>. Templates name input members (<c>{Bucket}</c>, <c>{Delete.Objects[].Key}</c>),
/// read through the model's <see cref="ShapeInfo"/> so no operation needs code of its own.
/// </summary>
public static class ActionMap
{
    /// <summary>How an operation is authorized.</summary>
    public enum Mode
    {
        /// <summary>The gateway evaluates the checks.</summary>
        Checked,
        /// <summary>No permission is needed (sts:GetCallerIdentity: "No permissions are required to
        /// perform this operation", GetCallerIdentity API reference).</summary>
        Unconditional,
        /// <summary>The service decides with a resource policy the gateway does not hold
        /// (sts:AssumeRole evaluates the caller's policies together with the role's trust policy).</summary>
        Service,
        /// <summary>One check per item of a list in the request, each decided on its own: a denied item
        /// does not refuse the request, the handler reports it (s3:DeleteObjects answers AccessDenied in
        /// the key's own &lt;Error&gt; and deletes the others). The gateway records the denied items'
        /// positions in <see cref="Kiln.Core.RequestContext.DeniedItems"/>.</summary>
        PerItem,
    }

    /// <param name="Version">The top-level member naming the object version (VersionId, or CopySource).</param>
    /// <param name="VersionAction">The action checked instead when the request names a version: S3 authorizes
    /// GET ?versionId= as s3:GetObjectVersion, not s3:GetObject ("Policy actions for Amazon S3").</param>
    /// <param name="Each">A list member path (<c>Delete.Objects[]</c>): the check is made once per element, in
    /// order, and the templates' and <paramref name="Version"/>'s members are read from the element first,
    /// then from the input (<c>{Bucket}/{Key}</c>: the input's Bucket, the element's Key).</param>
    private sealed record Check(string? Action, string[] Resources, (string Key, string Member)[]? Conditions = null,
        string? Version = null, string? VersionAction = null, string? Each = null);

    private sealed record Rule(Check[] Checks, Mode Mode = Mode.Checked);

    // Signing names whose IAM prefix differs ("monitoring" signs CloudWatch requests).
    private static readonly Dictionary<string, string> s_prefixes = new(StringComparer.Ordinal)
    {
        ["monitoring"] = "cloudwatch",
    };

    // Services that authorize every operation themselves. KMS: a key policy must allow even within
    // the account, and it may grant a user access that IAM alone does not ("Key policies in AWS KMS"),
    // so a gateway check against IAM policies only would deny what AWS allows (Kiln.Services.Kms, KeyAuthorization).
    private static readonly HashSet<string> s_serviceAuthorized = new(StringComparer.Ordinal) { "kms" };

    private const string Bucket = "arn:aws:s3:::{Bucket}";
    private const string Object = "arn:aws:s3:::{Bucket}/{Key}";

    // ListBucket's condition keys (S3 Service Authorization Reference, ListBucket row).
    private static readonly (string, string)[] s_listKeys = [("s3:prefix", "Prefix"), ("s3:delimiter", "Delimiter"), ("s3:max-keys", "MaxKeys")];
    private static readonly (string, string)[] s_putKeys =
    [
        ("s3:x-amz-server-side-encryption", "ServerSideEncryption"),
        ("s3:x-amz-server-side-encryption-aws-kms-key-id", "SSEKMSKeyId"),
        ("s3:x-amz-acl", "ACL"),
    ];

    /// <summary>Per-service default resources, chosen by which member the input has (first match).</summary>
    private static readonly Dictionary<string, (string Member, string Template)[]> s_defaultResources = new(StringComparer.Ordinal)
    {
        ["s3"] = [("Key", Object), ("Bucket", Bucket)],
        // IAM ARNs include the entity's path, which a request naming only the entity does not carry;
        // these templates assume the default path "/" (policies written with user/* still match).
        ["iam"] =
        [
            ("UserName", "arn:aws:iam::{account}:user/{UserName}"),
            ("RoleName", "arn:aws:iam::{account}:role/{RoleName}"),
            ("GroupName", "arn:aws:iam::{account}:group/{GroupName}"),
            ("PolicyArn", "{PolicyArn}"),
            // Virtual MFA devices (CreateVirtualMFADevice, DeleteVirtualMFADevice) are "mfa" resources;
            // Enable/DeactivateMFADevice name a user first and are checked on the user.
            ("VirtualMFADeviceName", "arn:aws:iam::{account}:mfa/{VirtualMFADeviceName}"),
            ("SerialNumber", "{SerialNumber}"),
            // SimulatePrincipalPolicy is authorized on the user, group or role simulated.
            ("PolicySourceArn", "{PolicySourceArn}"),
        ],
        ["sts"] = [("RoleArn", "{RoleArn}")],
    };

    // Added entry by entry: a second entry for one operation fails at start-up instead of silently replacing the first.
    private static readonly Dictionary<(string Service, string Operation), Rule> s_rules = new()
    {
        // S3 ("Actions, resources, and condition keys for Amazon S3"; "Amazon S3 API operations
        // mapped to policy actions" in the S3 User Guide).
        { ("s3", "ListBuckets"), new([new("s3:ListAllMyBuckets", [])]) },
        { ("s3", "ListObjects"), new([new("s3:ListBucket", [Bucket], s_listKeys)]) },
        { ("s3", "ListObjectsV2"), new([new("s3:ListBucket", [Bucket], s_listKeys)]) },
        { ("s3", "HeadBucket"), new([new("s3:ListBucket", [Bucket])]) },
        { ("s3", "ListObjectVersions"), new([new("s3:ListBucketVersions", [Bucket], s_listKeys)]) },
        { ("s3", "ListMultipartUploads"), new([new("s3:ListBucketMultipartUploads", [Bucket])]) },
        // The object operations that take a versionId: it picks the version whose ACL applies, and a named
        // version is authorized as the operation's *Version action.
        { ("s3", "GetObject"), new([new("s3:GetObject", [Object], Version: "VersionId", VersionAction: "s3:GetObjectVersion")]) },
        { ("s3", "HeadObject"), new([new("s3:GetObject", [Object], Version: "VersionId",
            VersionAction: "s3:GetObjectVersion")]) },
        // GetObjectAttributes needs both s3:GetObject and s3:GetObjectAttributes, or with a versionId both
        // s3:GetObjectVersion and s3:GetObjectVersionAttributes (GetObjectAttributes API reference, Permissions).
        { ("s3", "GetObjectAttributes"), new([
            new("s3:GetObject", [Object], Version: "VersionId", VersionAction: "s3:GetObjectVersion"),
            new("s3:GetObjectAttributes", [Object], Version: "VersionId", VersionAction: "s3:GetObjectVersionAttributes")]) },
        { ("s3", "GetObjectAcl"), new([new("s3:GetObjectAcl", [Object], Version: "VersionId",
            VersionAction: "s3:GetObjectVersionAcl")]) },
        { ("s3", "PutObjectAcl"), new([new("s3:PutObjectAcl", [Object], Version: "VersionId",
            VersionAction: "s3:PutObjectVersionAcl")]) },
        { ("s3", "DeleteObject"), new([new("s3:DeleteObject", [Object], Version: "VersionId",
            VersionAction: "s3:DeleteObjectVersion")]) },
        { ("s3", "GetObjectTagging"), new([new("s3:GetObjectTagging", [Object], Version: "VersionId",
            VersionAction: "s3:GetObjectVersionTagging")]) },
        { ("s3", "PutObjectTagging"), new([new("s3:PutObjectTagging", [Object], Version: "VersionId",
            VersionAction: "s3:PutObjectVersionTagging")]) },
        { ("s3", "DeleteObjectTagging"), new([new("s3:DeleteObjectTagging", [Object], Version: "VersionId",
            VersionAction: "s3:DeleteObjectVersionTagging")]) },
        { ("s3", "PutObject"), new([new("s3:PutObject", [Object], s_putKeys)]) },
        { ("s3", "CreateMultipartUpload"), new([new("s3:PutObject", [Object], s_putKeys)]) },
        { ("s3", "UploadPart"), new([new("s3:PutObject", [Object])]) },
        { ("s3", "CompleteMultipartUpload"), new([new("s3:PutObject", [Object])]) },
        { ("s3", "ListParts"), new([new("s3:ListMultipartUploadParts", [Object])]) },
        // DeleteObjects is authorized key by key, as S3 does: s3:DeleteObject on the object, or
        // s3:DeleteObjectVersion when the key names a VersionId; there is no s3:DeleteObjects action and no
        // bucket-level check ("Required permissions for Amazon S3 API operations"). A key the caller may not
        // delete is an AccessDenied <Error> of its own, the others are deleted.
        { ("s3", "DeleteObjects"), new([new("s3:DeleteObject", [Object], Version: "VersionId",
            VersionAction: "s3:DeleteObjectVersion", Each: "Delete.Objects[]")], Mode.PerItem) },
        // CopyObject: s3:PutObject on the destination and s3:GetObject on the source.
        { ("s3", "CopyObject"), new([new("s3:PutObject", [Object], s_putKeys),
            new("s3:GetObject", ["arn:aws:s3:::{CopySource}"], Version: "CopySource", VersionAction: "s3:GetObjectVersion")]) },
        { ("s3", "UploadPartCopy"), new([new("s3:PutObject", [Object]),
            new("s3:GetObject", ["arn:aws:s3:::{CopySource}"], Version: "CopySource", VersionAction: "s3:GetObjectVersion")]) },
        { ("s3", "GetBucketLifecycleConfiguration"), new([new("s3:GetLifecycleConfiguration", [Bucket])]) },
        { ("s3", "PutBucketLifecycleConfiguration"), new([new("s3:PutLifecycleConfiguration", [Bucket])]) },
        { ("s3", "DeleteBucketLifecycle"), new([new("s3:PutLifecycleConfiguration", [Bucket])]) },
        { ("s3", "GetBucketEncryption"), new([new("s3:GetEncryptionConfiguration", [Bucket])]) },
        { ("s3", "PutBucketEncryption"), new([new("s3:PutEncryptionConfiguration", [Bucket])]) },
        { ("s3", "DeleteBucketEncryption"), new([new("s3:PutEncryptionConfiguration", [Bucket])]) },
        { ("s3", "DeleteBucketTagging"), new([new("s3:PutBucketTagging", [Bucket])]) },
        { ("s3", "GetBucketCors"), new([new("s3:GetBucketCORS", [Bucket])]) },
        { ("s3", "PutBucketCors"), new([new("s3:PutBucketCORS", [Bucket])]) },
        { ("s3", "DeleteBucketCors"), new([new("s3:PutBucketCORS", [Bucket])]) },
        { ("s3", "GetPublicAccessBlock"), new([new("s3:GetBucketPublicAccessBlock", [Bucket])]) },
        { ("s3", "PutPublicAccessBlock"), new([new("s3:PutBucketPublicAccessBlock", [Bucket])]) },
        { ("s3", "DeletePublicAccessBlock"), new([new("s3:PutBucketPublicAccessBlock", [Bucket])]) },
        { ("s3", "GetBucketNotificationConfiguration"), new([new("s3:GetBucketNotification", [Bucket])]) },
        { ("s3", "PutBucketNotificationConfiguration"), new([new("s3:PutBucketNotification", [Bucket])]) },
        { ("s3", "GetBucketReplication"), new([new("s3:GetReplicationConfiguration", [Bucket])]) },
        { ("s3", "PutBucketReplication"), new([new("s3:PutReplicationConfiguration", [Bucket])]) },

        // SageMaker runtime: the action belongs to sagemaker, on the endpoint.
        { ("sagemaker", "InvokeEndpoint"), new([new("sagemaker:InvokeEndpoint",
            ["arn:aws:sagemaker:{region}:{account}:endpoint/{EndpointName}"])]) },
        { ("sagemaker", "InvokeEndpointAsync"), new([new("sagemaker:InvokeEndpointAsync",
            ["arn:aws:sagemaker:{region}:{account}:endpoint/{EndpointName}"])]) },

        // STS.
        { ("sts", "GetCallerIdentity"), new([], Mode.Unconditional) },
        { ("sts", "AssumeRole"), new([new("sts:AssumeRole", ["{RoleArn}"])], Mode.Service) },
        // "No permissions are required for a user to get a session token ... You cannot use policies to
        // control authentication operations" (IAM User Guide, "Permissions for GetSessionToken").
        { ("sts", "GetSessionToken"), new([], Mode.Unconditional) },
    };

    /// <summary>The checks for an operation, or the mode that exempts it.</summary>
    public static (Mode Mode, IReadOnlyList<ActionCheck> Checks) Resolve(OperationInfo operation, object? input,
        string account, string region)
    {
        var service = operation.Service.SigningName;
        var prefix = s_prefixes.GetValueOrDefault(service, service);
        if (s_serviceAuthorized.Contains(prefix))
        {
            return (Mode.Service, []);
        }

        if (!s_rules.TryGetValue((prefix, operation.Name), out var rule))
        {
            var template = DefaultResource(prefix, operation.Input, input);
            rule = new Rule([new Check(null, template is null ? [] : [template])]);
        }

        var checks = new List<ActionCheck>(rule.Checks.Length);
        foreach (var c in rule.Checks)
        {
            if (c.Each is null)
            {
                checks.Add(Build(c, prefix, operation, input, null, null, account, region));
                continue;
            }

            foreach (var (shape, item) in Items(operation.Input, input, c.Each))
            {
                checks.Add(Build(c, prefix, operation, input, shape, item, account, region));
            }
        }

        return (rule.Mode, checks);
    }

    /// <summary>One check, its members read from <paramref name="item"/> first (a list element of an
    /// <see cref="Check.Each"/> check), then from the input.</summary>
    private static ActionCheck Build(Check c, string prefix, OperationInfo operation, object? input, ShapeInfo? itemShape,
        object? item, string account, string region)
    {
        var resources = new List<string>();
        foreach (var t in c.Resources)
        {
            resources.AddRange(Expand(t, operation.Input, input, account, region, itemShape, item));
        }

        var conditions = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, member) in c.Conditions ?? [])
        {
            if (Read(operation.Input, input, member) is { } v)
            {
                conditions[key] = [v];
            }
        }

        var version = c.Version is null ? null
            : item is not null && itemShape?.FindMember(c.Version) is not null ? VersionOf(itemShape, item, c.Version)
            : VersionOf(operation.Input, input, c.Version);
        var action = version is not null && c.VersionAction is not null ? c.VersionAction : c.Action;
        return new ActionCheck(action ?? $"{prefix}:{operation.Name}", resources, conditions, version);
    }

    /// <summary>The elements of the list at <paramref name="path"/> (<c>Delete.Objects[]</c>) with their shape.</summary>
    private static IEnumerable<(ShapeInfo? Shape, object Item)> Items(ShapeInfo? shape, object? input, string path) =>
        Walk(shape, input, path).Where(e => e.Value is not null).Select(e => (e.Shape, e.Value!));

    /// <summary>Walks a member path such as <c>Delete.Objects[].Key</c> through the shapes: every value
    /// it reaches, a list step (<c>[]</c>) fanning out to the list's elements.</summary>
    private static List<(ShapeInfo? Shape, object? Value)> Walk(ShapeInfo? shape, object? input, string path)
    {
        var current = new List<(ShapeInfo? Shape, object? Value)> { (shape, input) };
        foreach (var raw in path.Split('.'))
        {
            var list = raw.EndsWith("[]", StringComparison.Ordinal);
            var name = list ? raw[..^2] : raw;
            var next = new List<(ShapeInfo?, object?)>();
            foreach (var (s, v) in current)
            {
                if (s?.FindMember(name) is not { } m || v is null || m.Get(v) is not { } value)
                {
                    continue;
                }

                if (list && value is IList items)
                {
                    foreach (var element in items)
                    {
                        next.Add((m.Shape.Member?.Shape, element));
                    }
                }
                else
                {
                    next.Add((m.Shape, value));
                }
            }

            current = next;
        }

        return current;
    }

    private static string? DefaultResource(string prefix, ShapeInfo? shape, object? input)
    {
        if (shape is null || input is null || !s_defaultResources.TryGetValue(prefix, out var candidates))
        {
            return null;
        }

        foreach (var (member, template) in candidates)
        {
            if (shape.FindMember(member)?.Get(input) is string { Length: > 0 })
            {
                return template;
            }
        }

        return null;
    }

    /// <summary>Fills a template; a member path with <c>[]</c> yields one ARN per list element, and a
    /// template whose member is absent yields none (the action is then checked on <c>*</c>). A
    /// top-level member (the common case, on every request) is read directly, without the path walk.</summary>
    private static IEnumerable<string> Expand(string template, ShapeInfo? shape, object? input, string account, string region,
        ShapeInfo? itemShape = null, object? item = null)
    {
        var results = new List<string> { "" };
        var i = 0;
        while (i < template.Length)
        {
            var open = template.IndexOf('{', i);
            if (open < 0)
            {
                Append(results, template[i..]);
                break;
            }

            Append(results, template[i..open]);
            var close = template.IndexOf('}', open);
            var name = template[(open + 1)..close];
            if (name is "account" or "region" || name.AsSpan().IndexOfAny('.', '[') < 0)
            {
                var value = name switch
                {
                    "account" => account,
                    "region" => region,
                    _ when item is not null && itemShape?.FindMember(name) is { } im => Scalar(im.Get(item), name),
                    _ => Scalar(shape?.FindMember(name) is { } m && input is not null ? m.Get(input) : null, name),
                };
                if (value is null)
                {
                    return [];
                }

                Append(results, value);
            }
            else
            {
                var values = ReadAll(shape, input, name).ToList();
                if (values.Count == 0)
                {
                    return [];
                }

                results = [.. results.SelectMany(r => values.Select(v => r + v))];
            }

            i = close + 1;
        }

        return results;
    }

    private static string? Scalar(object? value, string member) => value switch
    {
        string s when member == "CopySource" => CopySourceResource(s),
        string s => s,
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => null,
    };

    private static void Append(List<string> results, string text)
    {
        for (var k = 0; k < results.Count; k++)
        {
            results[k] += text;
        }
    }

    private static string? Read(ShapeInfo? shape, object? input, string member) =>
        ReadAll(shape, input, member).FirstOrDefault();

    /// <summary>The values at a member path such as <c>Delete.Objects[].Key</c>, as text.</summary>
    private static IEnumerable<string> ReadAll(ShapeInfo? shape, object? input, string path)
    {
        foreach (var (_, v) in Walk(shape, input, path))
        {
            if (Scalar(v, path) is { } text)
            {
                yield return text;
            }
        }
    }

    /// <summary>The version a request names in a top-level member: VersionId as is, or the
    /// <c>?versionId=</c> of an x-amz-copy-source.</summary>
    private static string? VersionOf(ShapeInfo? shape, object? input, string member)
    {
        if (input is null || shape?.FindMember(member)?.Get(input) is not string { Length: > 0 } value)
        {
            return null;
        }

        if (member != "CopySource")
        {
            return value;
        }

        // As S3Api reads the copy source: everything after "?versionId=".
        const string parameter = "?versionId=";
        var at = value.IndexOf(parameter, StringComparison.Ordinal);
        return at < 0 ? null : Uri.UnescapeDataString(value[(at + parameter.Length)..]);
    }

    /// <summary>x-amz-copy-source is <c>[/]bucket/key[?versionId=...]</c>, URL-encoded.</summary>
    private static string CopySourceResource(string source)
    {
        var q = source.IndexOf('?');
        if (q >= 0)
        {
            source = source[..q];
        }

        return Uri.UnescapeDataString(source.TrimStart('/'));
    }
}
