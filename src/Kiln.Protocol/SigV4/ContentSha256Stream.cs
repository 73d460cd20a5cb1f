using System.Security.Cryptography;

namespace Kiln.Protocol.SigV4;

/// <summary>Passes a body through while hashing it; at the end of the stream compares the SHA-256
/// with the x-amz-content-sha256 the client signed and throws XAmzContentSHA256Mismatch on a
/// difference. The bytes before the end are handed out unverified, so consumers commit nothing
/// until they have read to the end (the S3 store writes a temp file and renames it afterwards).</summary>
internal sealed class ContentSha256Stream(Stream inner, string expectedHex, AuthErrorStyle style) : Stream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private bool _ended;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_ended)
        {
            return 0;
        }

        var read = inner.Read(buffer);
        return Account(buffer[..read], buffer.IsEmpty);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

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

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

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
