using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Kiln.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Kiln.Protocol.SigV4;

/// <summary>Verifies AWS Signature Version 4 on a request: the Authorization header form and the
/// presigned query form, then wraps the body so its declared hash or aws-chunked signatures are
/// checked as it is read.
///
/// Order of checks, each failing with its own <see cref="AuthFailure"/>: parse (algorithm,
/// credential, signed headers, date, presign parameters) → time (15 minutes of skew, presign
/// expiry) → access key (unknown, inactive, session token) → canonical request and signature,
/// compared in constant time → payload (hex digest of a buffered body at once; of a streaming body
/// at its end; aws-chunked chunk by chunk). Time comes before the key lookup so a replayed stale
/// request costs no credential lookup.
///
/// Thread-safe and allocation-lean: the canonical request and string to sign are built in pooled
/// buffers, hashing and HMAC run on stack spans, and derived signing keys are cached.</summary>
public sealed class SigV4Authenticator(ICredentialSource credentials, IClock clock, SigningKeyCache? keys = null)
{
    /// <summary>How far the request time may be from the server's clock (AWS: 15 minutes).</summary>
    public static readonly TimeSpan MaxSkew = TimeSpan.FromMinutes(15);

    /// <summary>The longest X-Amz-Expires a presigned URL may carry: seven days.</summary>
    public const long MaxPresignSeconds = 604_800;

    private readonly SigningKeyCache _keys = keys ?? new SigningKeyCache();

    /// <summary>Authenticates <paramref name="request"/>.</summary>
    /// <param name="request">Headers, method and raw target are read; the body is not touched
    /// (a streaming body is only wrapped).</param>
    /// <param name="payload">The whole body for small-document services, or streaming for S3.</param>
    /// <param name="style">How failures are worded: the protocol family of the resolved service.</param>
    /// <param name="cancellationToken">Aborts the credential lookup.</param>
    /// <exception cref="SigV4Exception">The request is anonymous, malformed, stale, or wrongly signed.</exception>
    public async ValueTask<SigV4Result> AuthenticateAsync(HttpRequest request, SigV4Payload payload, AuthErrorStyle style,
        CancellationToken cancellationToken = default)
    {
        var auth = Parse(request, style);
        var now = clock.UtcNow;
        CheckTime(in auth, now, style);

        var credential = await credentials.FindAsync(auth.Scope.AccessKeyId, cancellationToken).ConfigureAwait(false);
        CheckCredential(credential, in auth, now, style);

        var s3 = IsS3(auth.Scope.Service);
        var (payloadHash, signing) = PayloadHash(request, in auth, payload, s3, style);
        if (auth.Presigned && s3)
        {
            CheckPresignedHeaders(request, auth.SignedHeaders, style);
        }

        var key = _keys.Get(credential.SecretAccessKey, auth.Scope.Date, auth.Scope.Region, auth.Scope.Service);
        Span<byte> signature = stackalloc byte[32];
        Verify(request, in auth, s3, payloadHash, key, signature, style);

        return new SigV4Result
        {
            Principal = credential.Principal,
            AccessKeyId = credential.AccessKeyId,
            Region = auth.Scope.Region,
            Service = auth.Scope.Service,
            SignedAt = auth.SignedAt,
            Presigned = auth.Presigned,
            PayloadSigning = signing,
            Body = Body(request, in auth, payload, payloadHash, signing, key, signature, style),
            DecodedContentLength = DecodedLength(request),
        };
    }

    // The signing names whose signers keep the raw path (botocore S3SigV4Auth; the .NET SDK's
    // AWS4PreSignedUrlSigner.ServicesUsingUnsignedPayload lists the same four).
    private static bool IsS3(string service) =>
        service is SigV4Strings.S3Service or "s3-object-lambda" or "s3-outposts" or "s3express";

    private static readonly AuthFailureDetail PresignedDetail = new() { Presigned = true };

    // ---- parse -------------------------------------------------------------------------------

    private struct Parsed
    {
        public bool Presigned;
        public CredentialScope Scope;
        public string SignedHeaders;
        public string Signature;
        public string Timestamp;     // yyyyMMddTHHmmssZ, as it enters the string to sign
        public string RequestTime;   // X-Amz-Date or Date exactly as sent
        public DateTimeOffset SignedAt;
        public long Expires;
        public string? SecurityToken;
        public string? ContentSha256;
        public QueryPair[]? Query;   // presigned: canonical query already parsed
    }

    /// <summary>True when the request carries no authentication at all: no Authorization header and
    /// no presigned X-Amz-* parameters. (<see cref="CredentialScope.TryRead"/> is also false for
    /// malformed or SigV2 credentials, so it cannot tell anonymous requests apart.)</summary>
    public static bool IsAnonymous(HttpRequest request) =>
        !HasAuthorizationHeader(request, out _) && !IsPresigned(request);

    private static Parsed Parse(HttpRequest request, AuthErrorStyle style)
    {
        if (HasAuthorizationHeader(request, out var authorization))
        {
            return ParseHeader(request, authorization, style);
        }

        if (IsPresigned(request))
        {
            return ParsePresigned(request, style);
        }

        throw Fail(AuthFailure.MissingAuthentication, style);
    }

    private static bool HasAuthorizationHeader(HttpRequest request, [NotNullWhen(true)] out string? authorization)
    {
        var values = request.Headers.Authorization;
        authorization = values.Count > 0 ? values[0] : null;
        return !string.IsNullOrEmpty(authorization);
    }

    private static bool IsPresigned(HttpRequest request)
    {
        var query = request.QueryString.Value;
        return query is not null && (query.Contains("X-Amz-Credential=", StringComparison.Ordinal) ||
                                     query.Contains("X-Amz-Algorithm=", StringComparison.Ordinal) ||
                                     query.Contains("X-Amz-Signature=", StringComparison.Ordinal));
    }

    private static Parsed ParseHeader(HttpRequest request, string authorization, AuthErrorStyle style)
    {
        var value = authorization.AsSpan();
        if (!value.StartsWith(SigV4Strings.Algorithm, StringComparison.Ordinal) ||
            (value.Length > SigV4Strings.Algorithm.Length && value[SigV4Strings.Algorithm.Length] != ' '))
        {
            throw Fail(AuthFailure.UnsupportedAlgorithm, style);
        }

        string? credential = null, signedHeaders = null, signature = null;
        var rest = value[SigV4Strings.Algorithm.Length..];
        foreach (var range in rest.Split(','))
        {
            var part = rest[range].Trim(' ');
            if (part.StartsWith("Credential=", StringComparison.Ordinal))
            {
                credential = part["Credential=".Length..].ToString();
            }
            else if (part.StartsWith("SignedHeaders=", StringComparison.Ordinal))
            {
                signedHeaders = part["SignedHeaders=".Length..].ToString();
            }
            else if (part.StartsWith("Signature=", StringComparison.Ordinal))
            {
                signature = part["Signature=".Length..].ToString();
            }
        }

        if (string.IsNullOrEmpty(credential) || string.IsNullOrEmpty(signedHeaders) || string.IsNullOrEmpty(signature))
        {
            var missing = new List<string>(3);
            if (string.IsNullOrEmpty(credential))
            {
                missing.Add("Credential");
            }

            if (string.IsNullOrEmpty(signature))
            {
                missing.Add("Signature");
            }

            if (string.IsNullOrEmpty(signedHeaders))
            {
                missing.Add("SignedHeaders");
            }

            throw Fail(AuthFailure.IncompleteSignature, style, new AuthFailureDetail { MissingComponents = missing });
        }

        if (!CredentialScope.TryParse(credential, out var scope))
        {
            throw Fail(AuthFailure.MalformedCredential, style, new AuthFailureDetail { Credential = credential });
        }

        var headers = request.Headers;
        string timestamp, requestTime;
        DateTimeOffset signedAt;
        var amzDate = headers[SigV4Strings.XAmzDate];
        if (amzDate.Count > 0)
        {
            requestTime = amzDate[0] ?? "";
            if (!TryParseBasic(requestTime, out signedAt))
            {
                throw Fail(AuthFailure.MissingDate, style);
            }

            timestamp = requestTime;
        }
        else
        {
            requestTime = headers.Date.ToString();
            if (!TryParseHttpDate(requestTime, out signedAt))
            {
                throw Fail(AuthFailure.MissingDate, style);
            }

            timestamp = AuthErrors.Basic(signedAt);
        }

        CheckScopeDate(scope, timestamp, presigned: false, style);
        return new Parsed
        {
            Scope = scope,
            SignedHeaders = signedHeaders,
            Signature = signature,
            Timestamp = timestamp,
            RequestTime = requestTime,
            SignedAt = signedAt,
            SecurityToken = First(headers[SigV4Strings.XAmzSecurityToken]),
            ContentSha256 = First(headers[SigV4Strings.XAmzContentSha256]),
        };
    }

    private static Parsed ParsePresigned(HttpRequest request, AuthErrorStyle style)
    {
        CanonicalRequest.Target(request, out var rawQuery);
        var query = CanonicalRequest.ParseQuery(rawQuery, presigned: true);
        var algorithm = Param(query, SigV4Strings.QueryAlgorithm);
        var credential = Param(query, SigV4Strings.QueryCredential);
        var date = Param(query, SigV4Strings.QueryDate);
        var expires = Param(query, SigV4Strings.QueryExpires);
        var signedHeaders = Param(query, SigV4Strings.QuerySignedHeaders);
        var signature = Unescape(CredentialScope.QueryValue(rawQuery, SigV4Strings.QuerySignature));
        var presigned = PresignedDetail;
        if (string.IsNullOrEmpty(algorithm) || string.IsNullOrEmpty(credential) || string.IsNullOrEmpty(date) ||
            string.IsNullOrEmpty(expires) || string.IsNullOrEmpty(signedHeaders) || signature.Length == 0)
        {
            throw Fail(AuthFailure.MissingPresignParameter, style, presigned);
        }

        if (algorithm != SigV4Strings.Algorithm)
        {
            throw Fail(AuthFailure.UnsupportedAlgorithm, style, presigned);
        }

        if (!CredentialScope.TryParse(credential, out var scope))
        {
            throw Fail(AuthFailure.MalformedCredential, style, new AuthFailureDetail { Presigned = true, Credential = credential });
        }

        if (!TryParseBasic(date, out var signedAt))
        {
            throw Fail(AuthFailure.MalformedPresignDate, style, presigned);
        }

        // MinIO's three X-Amz-Expires sentences; the over-a-week one is the table's default.
        if (!long.TryParse(expires, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seconds))
        {
            throw Fail(AuthFailure.InvalidExpires, style, new AuthFailureDetail { Presigned = true, Message = "X-Amz-Expires should be a number" });
        }

        if (seconds < 0)
        {
            throw Fail(AuthFailure.InvalidExpires, style, new AuthFailureDetail { Presigned = true, Message = "X-Amz-Expires must be non-negative" });
        }

        if (seconds > MaxPresignSeconds)
        {
            throw Fail(AuthFailure.InvalidExpires, style, presigned);
        }

        CheckScopeDate(scope, date, presigned: true, style);
        return new Parsed
        {
            Presigned = true,
            Scope = scope,
            SignedHeaders = signedHeaders,
            Signature = signature,
            Timestamp = date,
            RequestTime = date,
            SignedAt = signedAt,
            Expires = seconds,
            SecurityToken = Param(query, SigV4Strings.QuerySecurityToken),
            // The JS SDK v3 puts X-Amz-Content-Sha256 in the query of presigned S3 URLs.
            ContentSha256 = First(request.Headers[SigV4Strings.XAmzContentSha256]) ?? Param(query, SigV4Strings.QueryContentSha256),
            Query = query,
        };
    }

    private static void CheckScopeDate(CredentialScope scope, string timestamp, bool presigned, AuthErrorStyle style)
    {
        if (!timestamp.AsSpan(0, 8).SequenceEqual(scope.Date))
        {
            throw Fail(AuthFailure.CredentialDateMismatch, style,
                new AuthFailureDetail { Presigned = presigned, ScopeDate = scope.Date, RequestTime = timestamp });
        }
    }

    private static string? Param(QueryPair[] query, string name)
    {
        foreach (var pair in query)
        {
            if (pair.Name == name)
            {
                return Unescape(pair.Value);
            }
        }

        return null;
    }

    private static string Unescape(ReadOnlySpan<char> value) =>
        value.Contains('%') ? Uri.UnescapeDataString(value.ToString()) : value.ToString();

    private static string? First(Microsoft.Extensions.Primitives.StringValues values) => values.Count > 0 ? values[0] : null;

    private static bool TryParseBasic(string value, out DateTimeOffset time)
    {
        if (value.Length == 16 &&
            DateTime.TryParseExact(value, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var parsed))
        {
            time = new DateTimeOffset(parsed, TimeSpan.Zero);
            return true;
        }

        time = default;
        return false;
    }

    // RFC 7231 IMF-fixdate ("Sat, 21 Nov 2026 10:15:30 GMT") and the RFC 2822 form botocore's
    // formatdate writes ("Sat, 21 Nov 2026 10:15:30 -0000").
    private static bool TryParseHttpDate(string value, out DateTimeOffset time)
    {
        time = default;
        var space = value.LastIndexOf(' ');
        if (space < 0 ||
            !DateTime.TryParseExact(value.AsSpan(0, space), "ddd, dd MMM yyyy HH:mm:ss", CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var parsed))
        {
            return TryParseBasic(value, out time);
        }

        var zone = value.AsSpan(space + 1);
        TimeSpan offset;
        if (zone is "GMT" or "UTC" or "Z" or "UT")
        {
            offset = TimeSpan.Zero;
        }
        else if (zone.Length == 5 && zone[0] is '+' or '-' &&
                 int.TryParse(zone[1..3], NumberStyles.None, CultureInfo.InvariantCulture, out var hours) &&
                 int.TryParse(zone[3..], NumberStyles.None, CultureInfo.InvariantCulture, out var minutes))
        {
            offset = new TimeSpan(hours, minutes, 0) * (zone[0] == '-' ? -1 : 1);
        }
        else
        {
            return false;
        }

        time = new DateTimeOffset(parsed - offset, TimeSpan.Zero);
        return true;
    }

    // ---- time and credential -------------------------------------------------------------------

    private static void CheckTime(in Parsed auth, DateTimeOffset now, AuthErrorStyle style)
    {
        if (!auth.Presigned)
        {
            if ((now - auth.SignedAt).Duration() > MaxSkew)
            {
                throw Fail(AuthFailure.RequestTimeTooSkewed, style, new AuthFailureDetail
                {
                    RequestTime = auth.RequestTime,
                    SignedAt = auth.SignedAt,
                    ServerTime = now,
                });
            }

            return;
        }

        if (auth.SignedAt - now > MaxSkew)
        {
            throw Fail(AuthFailure.PresignNotYetValid, style, new AuthFailureDetail
            {
                Presigned = true,
                RequestTime = auth.RequestTime,
                SignedAt = auth.SignedAt,
                ServerTime = now,
            });
        }

        if (now > auth.SignedAt.AddSeconds(auth.Expires))
        {
            throw Fail(AuthFailure.PresignExpired, style, new AuthFailureDetail
            {
                Presigned = true,
                RequestTime = auth.RequestTime,
                SignedAt = auth.SignedAt,
                ServerTime = now,
                ExpiresSeconds = auth.Expires,
            });
        }
    }

    private static void CheckCredential([NotNull] Credential? credential, in Parsed auth, DateTimeOffset now, AuthErrorStyle style)
    {
        if (credential is null)
        {
            throw Fail(AuthFailure.UnknownAccessKey, style, KeyDetail(in auth));
        }

        if (!credential.Active)
        {
            throw Fail(AuthFailure.InactiveAccessKey, style, KeyDetail(in auth));
        }

        if (credential.SessionToken is { } expected)
        {
            if (auth.SecurityToken is null)
            {
                throw Fail(AuthFailure.MissingSecurityToken, style, KeyDetail(in auth));
            }

            if (!TokensEqual(expected, auth.SecurityToken))
            {
                throw Fail(AuthFailure.InvalidSecurityToken, style, KeyDetail(in auth));
            }

            if (credential.Expiration is { } expiration && expiration <= now)
            {
                throw Fail(AuthFailure.ExpiredSecurityToken, style, KeyDetail(in auth));
            }
        }
        else if (auth.SecurityToken is not null)
        {
            // A long-term key never carries a token; one that does is not what it claims.
            throw Fail(AuthFailure.InvalidSecurityToken, style, KeyDetail(in auth));
        }
    }

    private static AuthFailureDetail KeyDetail(in Parsed auth) =>
        new() { AccessKeyId = auth.Scope.AccessKeyId, Presigned = auth.Presigned };

    private static bool TokensEqual(string expected, string actual)
    {
        var length = Encoding.UTF8.GetByteCount(expected);
        if (Encoding.UTF8.GetByteCount(actual) != length)
        {
            return false;
        }

        var rented = ArrayPool<byte>.Shared.Rent(length * 2);
        try
        {
            var a = rented.AsSpan(0, length);
            var b = rented.AsSpan(length, length);
            Encoding.UTF8.GetBytes(expected, a);
            Encoding.UTF8.GetBytes(actual, b);
            return CryptographicOperations.FixedTimeEquals(a, b);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented, clearArray: true);
        }
    }

    // ---- payload -------------------------------------------------------------------------------

    private static (string Hash, PayloadSigning Signing) PayloadHash(HttpRequest request, in Parsed auth,
        SigV4Payload payload, bool s3, AuthErrorStyle style)
    {
        var declared = auth.ContentSha256;
        if (declared is null)
        {
            if (s3)
            {
                // A presigned S3 URL cannot know its payload (AWS: "UNSIGNED-PAYLOAD"); a header-signed
                // S3 request must say what it signed.
                return auth.Presigned
                    ? (SigV4Strings.UnsignedPayload, PayloadSigning.Unsigned)
                    : throw Fail(AuthFailure.MissingContentSha256, style);
            }

            if (!payload.IsBuffered)
            {
                throw new ArgumentException(
                    "A request without x-amz-content-sha256 signs the SHA-256 of its body: pass the buffered body.",
                    nameof(payload));
            }

            // Other services' signers hash the body themselves (botocore SigV4Auth.payload), presigned
            // or not: a presigned STS GET signs sha256("").
            return (Sha256Hex(payload.Body.Span), PayloadSigning.Signed);
        }

        switch (declared)
        {
            case SigV4Strings.UnsignedPayload:
                return (declared, PayloadSigning.Unsigned);
            case SigV4Strings.StreamingSigned:
                return (declared, PayloadSigning.SignedChunks);
            case SigV4Strings.StreamingSignedTrailer:
                return (declared, PayloadSigning.SignedChunksWithTrailer);
            case SigV4Strings.StreamingUnsignedTrailer:
                return (declared, PayloadSigning.UnsignedChunksWithTrailer);
        }

        if (declared.Length != 64 || declared.AsSpan().ContainsAnyExcept(HexDigits))
        {
            throw Fail(AuthFailure.InvalidContentSha256, style, new AuthFailureDetail { ClientSha256 = declared });
        }

        return (declared, PayloadSigning.Signed);
    }

    private static readonly SearchValues<char> HexDigits = SearchValues.Create("0123456789abcdefABCDEF");

    private static string Sha256Hex(ReadOnlySpan<byte> body)
    {
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(body, digest);
        return Convert.ToHexStringLower(digest);
    }

    private static Stream? Body(HttpRequest request, in Parsed auth, SigV4Payload payload, string payloadHash,
        PayloadSigning signing, byte[] key, ReadOnlySpan<byte> signature, AuthErrorStyle style)
    {
        if (payload.IsBuffered)
        {
            switch (signing)
            {
                case PayloadSigning.Unsigned:
                    return null;
                case PayloadSigning.Signed:
                    if (auth.ContentSha256 is not null)
                    {
                        var computed = Sha256Hex(payload.Body.Span);
                        if (!string.Equals(computed, payloadHash, StringComparison.OrdinalIgnoreCase))
                        {
                            throw Fail(AuthFailure.ContentSha256Mismatch, style,
                                new AuthFailureDetail { ClientSha256 = payloadHash, ComputedSha256 = computed });
                        }
                    }

                    return null;
                default:
                    return Chunked(request, in auth, BodyBytes.AsStream(payload.Body), signing, key, signature, style);
            }
        }

        var body = payload.Stream ?? request.Body;
        if (signing == PayloadSigning.Signed && payloadHash == SigV4Strings.EmptySha256 &&
            request.HttpContext.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == false)
        {
            // GET, HEAD, DELETE and List requests: Kestrel knows there is no body, so there is nothing to
            // hash and no wrapper to allocate.
            return body;
        }

        return signing switch
        {
            PayloadSigning.Unsigned => body,
            PayloadSigning.Signed => new ContentSha256Stream(body, payloadHash, style),
            _ => Chunked(request, in auth, body, signing, key, signature, style),
        };
    }

    private static AwsChunkedStream Chunked(HttpRequest request, in Parsed auth, Stream body, PayloadSigning signing,
        byte[] key, ReadOnlySpan<byte> signature, AuthErrorStyle style)
    {
        ChunkSigner? signer = null;
        if (signing != PayloadSigning.UnsignedChunksWithTrailer)
        {
            Span<byte> seed = stackalloc byte[64];
            Hex.WriteLower(signature, seed);
            var scope = $"{auth.Scope.Date}/{auth.Scope.Region}/{auth.Scope.Service}/{SigV4Strings.Terminator}";
            signer = new ChunkSigner(key, auth.Timestamp, scope, seed);
        }

        var declared = request.Headers[SigV4Strings.XAmzTrailer].ToString();
        var names = declared.Length == 0
            ? []
            : declared.ToLowerInvariant().Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var trailers = signing != PayloadSigning.SignedChunks;
        return new AwsChunkedStream(body, signer, trailers, trailers ? names : [], DecodedLength(request), style);
    }

    private static long? DecodedLength(HttpRequest request)
    {
        var value = request.Headers[SigV4Strings.XAmzDecodedContentLength];
        return value.Count > 0 && long.TryParse(value[0], NumberStyles.None, CultureInfo.InvariantCulture, out var length)
            ? length
            : null;
    }

    // Every x-amz-* header of a presigned S3 request must be signed, or anyone holding the URL could
    // add x-amz-acl or x-amz-server-side-encryption to it (LocalStack validate_presigned_url_s3v4).
    private static void CheckPresignedHeaders(HttpRequest request, string signedHeaders, AuthErrorStyle style)
    {
        List<string>? unsigned = null;
        foreach (var header in request.Headers)
        {
            var name = header.Key;
            if (!name.StartsWith("x-amz-", StringComparison.OrdinalIgnoreCase) ||
                name.Equals(SigV4Strings.XAmzContentSha256, StringComparison.OrdinalIgnoreCase) ||
                IsSigned(signedHeaders, name))
            {
                continue;
            }

            (unsigned ??= []).Add(name.ToLowerInvariant());
        }

        if (unsigned is not null)
        {
            throw Fail(AuthFailure.UnsignedHeaders, style,
                new AuthFailureDetail { Presigned = true, HeadersNotSigned = string.Join(", ", unsigned) });
        }
    }

    private static bool IsSigned(string signedHeaders, string name)
    {
        var list = signedHeaders.AsSpan();
        foreach (var range in list.Split(';'))
        {
            if (list[range].Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    // ---- signature -----------------------------------------------------------------------------

    private static void Verify(HttpRequest request, in Parsed auth, bool s3, string payloadHash, byte[] key,
        Span<byte> signature, AuthErrorStyle style)
    {
        var buffer = new PooledBytes(2048);
        try
        {
            var path = CanonicalRequest.Target(request, out var rawQuery);
            var query = auth.Query ?? CanonicalRequest.ParseQuery(rawQuery, presigned: false);
            CanonicalRequest.Write(ref buffer, request.Method, path, s3, query, request.Headers, auth.SignedHeaders, payloadHash);
            var canonicalLength = buffer.Length;

            Span<byte> digest = stackalloc byte[32];
            SHA256.HashData(buffer.Written, digest);
            buffer.Append(SigV4Strings.AlgorithmLine);
            buffer.AppendUtf8(auth.Timestamp);
            buffer.Append((byte)'\n');
            buffer.AppendUtf8(auth.Scope.Date);
            buffer.Append((byte)'/');
            buffer.AppendUtf8(auth.Scope.Region);
            buffer.Append((byte)'/');
            buffer.AppendUtf8(auth.Scope.Service);
            buffer.Append((byte)'/');
            buffer.Append(SigV4Strings.TerminatorBytes);
            buffer.Append((byte)'\n');
            Hex.WriteLower(digest, buffer.GetSpan(64));
            buffer.Advance(64);

            var stringToSign = buffer.Slice(canonicalLength, buffer.Length - canonicalLength);
            HMACSHA256.HashData(key, stringToSign, signature);
            Span<byte> claimed = stackalloc byte[32];
            if (Hex.TryDecode(auth.Signature, claimed) && CryptographicOperations.FixedTimeEquals(signature, claimed))
            {
                return;
            }

            throw Fail(AuthFailure.SignatureMismatch, style, new AuthFailureDetail
            {
                Presigned = auth.Presigned,
                AccessKeyId = auth.Scope.AccessKeyId,
                CanonicalRequest = buffer.ToUtf8String(0, canonicalLength),
                StringToSign = buffer.ToUtf8String(canonicalLength, buffer.Length - canonicalLength),
            });
        }
        finally
        {
            buffer.Dispose();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static SigV4Exception Fail(AuthFailure failure, AuthErrorStyle style, AuthFailureDetail? detail = null) =>
        AuthErrors.ToAwsException(failure, style, detail ?? AuthFailureDetail.None);
}
