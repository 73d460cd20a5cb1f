using System.Buffers;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using Kiln.Core.IO;

namespace Kiln.Protocol.SigV4;

/// <summary>Decodes an <c>aws-chunked</c> body as it is read, exposing only the payload bytes.
///
/// Wire format (AWS "Signature Calculations for the Authorization Header: Transferring Payload in
/// Multiple Chunks", and the .NET SDK's ChunkedUploadWrapperStream):
/// <code>
/// signed:    hex-size;chunk-signature=&lt;64 hex&gt;\r\n &lt;data&gt; \r\n ... 0;chunk-signature=&lt;sig&gt;\r\n
/// unsigned:  hex-size\r\n &lt;data&gt; \r\n ... 0\r\n
/// then:      (name:value\r\n)* [x-amz-trailer-signature:&lt;sig&gt;\r\n] \r\n
/// </code>
/// Chunk string to sign: <c>AWS4-HMAC-SHA256-PAYLOAD\n date \n scope \n previous-signature \n
/// sha256("") \n sha256(chunk)</c>, the chain seeded with the request's own signature. Trailer string
/// to sign: <c>AWS4-HMAC-SHA256-TRAILER\n date \n scope \n previous-signature \n
/// sha256(name:value\n...)</c>.
///
/// Memory is bounded: a signed chunk is held whole (at most 16 MiB, MinIO's cap; SDKs send
/// 64 KiB to 1 MiB) and released only after its signature verified, so no unverified byte reaches
/// the consumer. Unsigned chunks stream through. The parser is driven by the bytes in the input
/// buffer only, so the sync and async read paths share it and differ only in how they refill.</summary>
internal sealed class AwsChunkedStream : ReadOnlyStream
{
    private const int MaxSignedChunk = 16 << 20;
    private const int MaxLine = 4096;
    private const int MaxTrailerBytes = 16 * 1024;
    private const int InputSize = 16 * 1024;
    private const int NeedInput = -1;

    private static readonly IReadOnlyDictionary<string, string> NoTrailers = new Dictionary<string, string>();

    private readonly Stream _inner;
    private readonly ChunkSigner? _signer;
    private readonly bool _hasTrailers;
    private readonly string[] _declaredTrailers;
    private readonly long? _decodedLength;
    private readonly AuthErrorStyle _style;

    private byte[] _input = ArrayPool<byte>.Shared.Rent(InputSize);
    private int _inStart;
    private int _inEnd;
    private bool _innerEnded;

    private byte[] _line = ArrayPool<byte>.Shared.Rent(MaxLine);
    private int _lineLength;

    private State _state = State.Header;
    private long _remaining;
    private int _crlf;
    private long _decoded;

    private byte[]? _chunk;
    private int _chunkSize;
    private int _chunkFilled;
    private int _chunkOut;
    private readonly byte[] _claimed = new byte[64];

    private Dictionary<string, string>? _trailers;
    private IncrementalHash? _trailerHash;
    private bool _trailerSigned;
    private int _trailerBytes;
    private Exception? _failure;

    /// <param name="inner">The raw aws-chunked body.</param>
    /// <param name="signer">Verifies chunk and trailer signatures; null for STREAMING-UNSIGNED-PAYLOAD-TRAILER.</param>
    /// <param name="hasTrailers">The -TRAILER variants: trailing headers follow the last chunk.</param>
    /// <param name="declaredTrailers">Names listed in x-amz-trailer; each must arrive.</param>
    /// <param name="decodedLength">x-amz-decoded-content-length, checked at the end.</param>
    /// <param name="style">How errors are worded.</param>
    public AwsChunkedStream(Stream inner, ChunkSigner? signer, bool hasTrailers, string[] declaredTrailers,
        long? decodedLength, AuthErrorStyle style)
    {
        _inner = inner;
        _signer = signer;
        _hasTrailers = hasTrailers;
        _declaredTrailers = declaredTrailers;
        _decodedLength = decodedLength;
        _style = style;
    }

    private enum State
    {
        Header,
        Data,
        DataCrlf,
        Emit,
        Trailer,
        Done,
    }

    /// <summary>The trailing headers, lowercase names; empty until the body has been read to its end.</summary>
    public IReadOnlyDictionary<string, string> Trailers => _state == State.Done ? _trailers ?? NoTrailers : NoTrailers;


    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        while (true)
        {
            var produced = Step(buffer);
            if (produced != NeedInput)
            {
                return produced;
            }

            Filled(_innerEnded ? 0 : _inner.Read(_input));
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        while (true)
        {
            var produced = Step(buffer.Span);
            if (produced != NeedInput)
            {
                return produced;
            }

            Filled(_innerEnded ? 0 : await _inner.ReadAsync(_input, cancellationToken).ConfigureAwait(false));
        }
    }

    // Step only asks for input once it has consumed every buffered byte, so a refill starts at 0.
    private void Filled(int read)
    {
        _inStart = 0;
        _inEnd = read;
        if (read > 0)
        {
            return;
        }

        _innerEnded = true;
        if (_state == State.Trailer && !_hasTrailers && _lineLength == 0)
        {
            // Some clients stop right after the final 0-size chunk without its closing CRLF.
            Finish();
            return;
        }

        Fail(AuthFailure.IncompleteBody, null);
    }

    /// <summary>Advances the parser over buffered input: the number of payload bytes written to
    /// <paramref name="destination"/>, 0 at the end of the body, or <see cref="NeedInput"/>.</summary>
    private int Step(Span<byte> destination)
    {
        if (_failure is not null)
        {
            throw _failure;
        }

        while (true)
        {
            switch (_state)
            {
                case State.Done:
                    return 0;

                case State.Emit:
                {
                    var count = Math.Min(destination.Length, _chunkSize - _chunkOut);
                    _chunk.AsSpan(_chunkOut, count).CopyTo(destination);
                    _chunkOut += count;
                    if (_chunkOut == _chunkSize)
                    {
                        _state = State.Header;
                    }

                    return count;
                }

                case State.Header:
                {
                    if (!TryReadLine(MaxLine, out var line))
                    {
                        return NeedInput;
                    }

                    StartChunk(line);
                    continue;
                }

                case State.Data:
                {
                    var available = _inEnd - _inStart;
                    if (available == 0)
                    {
                        return NeedInput;
                    }

                    if (_signer is null)
                    {
                        var count = (int)Math.Min(Math.Min(destination.Length, _remaining), available);
                        _input.AsSpan(_inStart, count).CopyTo(destination);
                        _inStart += count;
                        _remaining -= count;
                        _decoded += count;
                        if (_remaining == 0)
                        {
                            _state = State.DataCrlf;
                            _crlf = 0;
                        }

                        return count;
                    }

                    var take = Math.Min(_chunkSize - _chunkFilled, available);
                    _input.AsSpan(_inStart, take).CopyTo(_chunk.AsSpan(_chunkFilled));
                    _inStart += take;
                    _chunkFilled += take;
                    if (_chunkFilled == _chunkSize)
                    {
                        _state = State.DataCrlf;
                        _crlf = 0;
                    }

                    continue;
                }

                case State.DataCrlf:
                {
                    while (_crlf < 2)
                    {
                        if (_inStart == _inEnd)
                        {
                            return NeedInput;
                        }

                        if (_input[_inStart++] != (_crlf == 0 ? (byte)'\r' : (byte)'\n'))
                        {
                            Fail(AuthFailure.MalformedChunkedEncoding, "The chunk data is not followed by CRLF.");
                        }

                        _crlf++;
                    }

                    if (_signer is null)
                    {
                        _state = State.Header;
                        continue;
                    }

                    if (!_signer.VerifyChunk(_chunk.AsSpan(0, _chunkSize), _claimed))
                    {
                        Fail(AuthFailure.ChunkSignatureMismatch, null);
                    }

                    _decoded += _chunkSize;
                    _chunkOut = 0;
                    _state = State.Emit;
                    continue;
                }

                case State.Trailer:
                {
                    if (!TryReadLine(MaxLine, out var line))
                    {
                        return NeedInput;
                    }

                    if (!line.IsEmpty)
                    {
                        ReadTrailer(line);
                        continue;
                    }

                    if (_signer is not null && _hasTrailers && !_trailerSigned && _trailers is null)
                    {
                        // The .NET SDK ends the 0-size chunk with CRLF when it has no trailers to
                        // send, before the trailer signature; that empty line is not the end.
                        continue;
                    }

                    Finish();
                    return 0;
                }
            }
        }
    }

    private void StartChunk(ReadOnlySpan<byte> line)
    {
        var semicolon = line.IndexOf((byte)';');
        var hex = semicolon < 0 ? line : line[..semicolon];
        if (hex.IsEmpty || hex.Length > 16)
        {
            Fail(AuthFailure.MalformedChunkedEncoding, "The chunk size is not a hexadecimal number.");
        }

        ulong size = 0;
        foreach (var digit in hex)
        {
            var value = Hex.Value((char)digit);
            if (value < 0)
            {
                Fail(AuthFailure.MalformedChunkedEncoding, "The chunk size is not a hexadecimal number.");
            }

            size = (size << 4) | (uint)value;
        }

        if (_signer is not null)
        {
            var extension = semicolon < 0 ? default : line[semicolon..];
            if (!extension.StartsWith(SigV4Strings.ChunkSignaturePrefix) ||
                extension.Length != SigV4Strings.ChunkSignaturePrefix.Length + 64)
            {
                Fail(AuthFailure.MalformedChunkedEncoding, "The chunk has no chunk-signature.");
            }

            extension[SigV4Strings.ChunkSignaturePrefix.Length..].CopyTo(_claimed);
            if (size > MaxSignedChunk)
            {
                Fail(AuthFailure.MalformedChunkedEncoding, $"The chunk size exceeds {MaxSignedChunk} bytes.");
            }
        }

        if (_decodedLength is { } declared && (size > (ulong)declared || _decoded + (long)size > declared))
        {
            Fail(AuthFailure.IncompleteBody, null);
        }

        if (size == 0)
        {
            if (_signer is not null && !_signer.VerifyChunk(default, _claimed))
            {
                Fail(AuthFailure.ChunkSignatureMismatch, null);
            }

            _state = State.Trailer;
            return;
        }

        if (_signer is null)
        {
            _remaining = (long)size;
        }
        else
        {
            _chunkSize = (int)size;
            _chunkFilled = 0;
            if (_chunk is null || _chunk.Length < _chunkSize)
            {
                if (_chunk is not null)
                {
                    ArrayPool<byte>.Shared.Return(_chunk);
                }

                _chunk = ArrayPool<byte>.Shared.Rent(_chunkSize);
            }
        }

        _state = State.Data;
    }

    private void ReadTrailer(ReadOnlySpan<byte> line)
    {
        _trailerBytes += line.Length + 2;
        if (!_hasTrailers || _trailerSigned || _trailerBytes > MaxTrailerBytes)
        {
            Fail(AuthFailure.MalformedChunkedEncoding, "Unexpected data after the last chunk.");
        }

        if (_signer is not null && line.StartsWith(SigV4Strings.TrailerSignaturePrefix))
        {
            var signature = line[SigV4Strings.TrailerSignaturePrefix.Length..].Trim((byte)' ');
            _trailerHash ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            Span<byte> digest = stackalloc byte[32];
            Span<byte> digestHex = stackalloc byte[64];
            _trailerHash.GetHashAndReset(digest);
            Hex.WriteLower(digest, digestHex);
            if (!_signer.VerifyTrailer(digestHex, signature))
            {
                Fail(AuthFailure.ChunkSignatureMismatch, null);
            }

            _trailerSigned = true;
            return;
        }

        var colon = line.IndexOf((byte)':');
        if (colon <= 0)
        {
            Fail(AuthFailure.MalformedChunkedEncoding, "A trailing header is not name:value.");
        }

        var name = Encoding.ASCII.GetString(line[..colon].Trim((byte)' ')).ToLowerInvariant();
        var value = line[(colon + 1)..].Trim((byte)' ');
        (_trailers ??= new Dictionary<string, string>(StringComparer.Ordinal))[name] = Encoding.UTF8.GetString(value);
        if (_signer is not null)
        {
            // Canonical trailers, as the SDKs sign them: lowercase name, ':', trimmed value, '\n'.
            _trailerHash ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            _trailerHash.AppendData(Encoding.ASCII.GetBytes(name));
            _trailerHash.AppendData(":"u8);
            _trailerHash.AppendData(value);
            _trailerHash.AppendData("\n"u8);
        }
    }

    private void Finish()
    {
        if (_signer is not null && _hasTrailers && !_trailerSigned)
        {
            Fail(AuthFailure.MalformedChunkedEncoding, "The trailer has no x-amz-trailer-signature.");
        }

        foreach (var name in _declaredTrailers)
        {
            if (_trailers is null || !_trailers.ContainsKey(name))
            {
                Fail(AuthFailure.MalformedChunkedEncoding, $"The trailing header {name} declared in x-amz-trailer is missing.");
            }
        }

        if (_decodedLength is { } declared && declared != _decoded)
        {
            Fail(AuthFailure.IncompleteBody, null);
        }

        _state = State.Done;
    }

    /// <summary>Reads one CRLF-terminated line (without the CRLF) from the input, joining pieces that
    /// straddle reads. The returned span is valid until the next call.</summary>
    private bool TryReadLine(int max, out ReadOnlySpan<byte> line)
    {
        var available = _input.AsSpan(_inStart, _inEnd - _inStart);
        var newline = available.IndexOf((byte)'\n');
        if (newline < 0)
        {
            Append(available, max);
            _inStart = _inEnd;
            line = default;
            return false;
        }

        ReadOnlySpan<byte> whole;
        if (_lineLength == 0)
        {
            whole = available[..(newline + 1)];
        }
        else
        {
            Append(available[..(newline + 1)], max);
            whole = _line.AsSpan(0, _lineLength);
        }

        _inStart += newline + 1;
        _lineLength = 0;
        if (whole.Length < 2 || whole[^2] != '\r')
        {
            Fail(AuthFailure.MalformedChunkedEncoding, "A chunk line does not end with CRLF.");
        }

        if (whole.Length > max)
        {
            Fail(AuthFailure.MalformedChunkedEncoding, "A chunk line is too long.");
        }

        line = whole[..^2];
        return true;
    }

    private void Append(ReadOnlySpan<byte> piece, int max)
    {
        if (_lineLength + piece.Length > max)
        {
            Fail(AuthFailure.MalformedChunkedEncoding, "A chunk line is too long.");
        }

        piece.CopyTo(_line.AsSpan(_lineLength));
        _lineLength += piece.Length;
    }

    [DoesNotReturn]
    [StackTraceHidden]
    private void Fail(AuthFailure failure, string? message)
    {
        _failure = AuthErrors.ToAwsException(failure, _style, message);
        throw _failure;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            ReturnBuffers();
            _trailerHash?.Dispose();
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    private void ReturnBuffers()
    {
        if (_input.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_input);
            _input = [];
        }

        if (_line.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_line);
            _line = [];
        }

        if (_chunk is not null)
        {
            ArrayPool<byte>.Shared.Return(_chunk);
            _chunk = null;
        }
    }
}

/// <summary>The running signature chain of an aws-chunked body: each chunk's signature covers the
/// previous one, starting from the request's header signature.</summary>
internal sealed class ChunkSigner
{
    private readonly byte[] _key;
    private readonly byte[] _chunkPrefix;
    private readonly byte[] _trailerPrefix;
    private readonly byte[] _previous = new byte[64];

    /// <param name="signingKey">The request's derived signing key.</param>
    /// <param name="timestamp">X-Amz-Date of the request (yyyyMMddTHHmmssZ).</param>
    /// <param name="scope">date/region/service/aws4_request.</param>
    /// <param name="seedSignatureHex">The request's verified signature, lowercase hex.</param>
    public ChunkSigner(byte[] signingKey, string timestamp, string scope, ReadOnlySpan<byte> seedSignatureHex)
    {
        _key = signingKey;
        var tail = Encoding.ASCII.GetBytes($"{timestamp}\n{scope}\n");
        _chunkPrefix = [.. SigV4Strings.ChunkAlgorithmLine, .. tail];
        _trailerPrefix = [.. SigV4Strings.TrailerAlgorithmLine, .. tail];
        seedSignatureHex.CopyTo(_previous);
    }

    public bool VerifyChunk(ReadOnlySpan<byte> data, ReadOnlySpan<byte> claimedHex)
    {
        Span<byte> digest = stackalloc byte[32];
        Span<byte> digestHex = stackalloc byte[64];
        SHA256.HashData(data, digest);
        Hex.WriteLower(digest, digestHex);
        return Verify(_chunkPrefix, includeEmptyHash: true, digestHex, claimedHex);
    }

    public bool VerifyTrailer(ReadOnlySpan<byte> trailerDigestHex, ReadOnlySpan<byte> claimedHex) =>
        Verify(_trailerPrefix, includeEmptyHash: false, trailerDigestHex, claimedHex);

    private bool Verify(byte[] prefix, bool includeEmptyHash, ReadOnlySpan<byte> digestHex, ReadOnlySpan<byte> claimedHex)
    {
        Span<byte> claimed = stackalloc byte[32];
        if (!Hex.TryDecode(claimedHex, claimed))
        {
            return false;
        }

        var length = prefix.Length + 65 + (includeEmptyHash ? 65 : 0) + 64;
        var rented = length > 512 ? ArrayPool<byte>.Shared.Rent(length) : null;
        Span<byte> text = rented is null ? stackalloc byte[512] : rented;
        var at = 0;
        prefix.CopyTo(text);
        at += prefix.Length;
        _previous.CopyTo(text[at..]);
        at += 64;
        text[at++] = (byte)'\n';
        if (includeEmptyHash)
        {
            SigV4Strings.EmptySha256Bytes.CopyTo(text[at..]);
            at += 64;
            text[at++] = (byte)'\n';
        }

        digestHex.CopyTo(text[at..]);
        at += 64;

        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(_key, text[..at], mac);
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }

        if (!CryptographicOperations.FixedTimeEquals(mac, claimed))
        {
            return false;
        }

        Hex.WriteLower(mac, _previous);
        return true;
    }
}
