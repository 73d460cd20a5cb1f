using System.Security.Cryptography;
using Kiln.Core.IO;

namespace Kiln.Protocol.SigV4;

/// <summary>Passes a body through while hashing it; at the end of the stream compares the SHA-256
/// with the x-amz-content-sha256 the client signed and throws XAmzContentSHA256Mismatch on a
/// difference. The bytes before the end are handed out unverified, so consumers commit nothing
/// until they have read to the end (the S3 store writes a temp file and renames it afterwards).</summary>
internal sealed class ContentSha256Stream(Stream inner, string expectedHex, AuthErrorStyle style) : ReadOnlyStream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private bool _ended;


    public override int Read(Span<byte> buffer)
    {
        if (_ended)
        {
            return 0;
        }

        var read = inner.Read(buffer);
        return Account(buffer[..read], buffer.IsEmpty);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_ended)
        {
            return 0;
        }

        var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        return Account(buffer.Span[..read], buffer.IsEmpty);
    }

    private int Account(ReadOnlySpan<byte> read, bool emptyRequest)
    {
        if (!read.IsEmpty)
        {
            _hash.AppendData(read);
            return read.Length;
        }

        if (emptyRequest)
        {
            return 0;
        }

        _ended = true;
        Span<byte> digest = stackalloc byte[32];
        _hash.GetHashAndReset(digest);
        var computed = Convert.ToHexStringLower(digest);
        if (!string.Equals(computed, expectedHex, StringComparison.OrdinalIgnoreCase))
        {
            throw AuthErrors.ToAwsException(AuthFailure.ContentSha256Mismatch, style,
                new AuthFailureDetail { ClientSha256 = expectedHex, ComputedSha256 = computed });
        }

        return 0;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash.Dispose();
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
