using Kiln.Core;
using Kiln.Services.S3.Storage;

namespace Kiln.Services.S3.Domain;

/// <summary>The unwrapped data keys of recently read SSE-S3 blobs, so a hot GET skips the AES-GCM
/// unwrap under the master key. SSE-S3 only: its wrapping key, the master key, is in this process's
/// memory for its whole life whoever asks, so keeping what it unwraps exposes nothing new. An SSE-KMS
/// data key is released by a KMS Decrypt authorized as each caller, and an SSE-C key is the caller's
/// own, sent with each request: neither ever comes here. Keyed by blob id and the wrapped key's text,
/// so a blob rewritten under another key can never meet an old entry (and the unwrap's check that a
/// wrapped key belongs to its blob ran when the entry was made). In memory only, never logged;
/// cleared when full. The keys are handed out shared: callers read them and never wipe them.</summary>
internal sealed class DataKeyCache
{
    private readonly BoundedCache<(string BlobId, string Wrapped), byte[]> _keys = new(4096);

    /// <exception cref="System.Security.Cryptography.CryptographicException">The wrapped key was not
    /// sealed under the master key for this blob.</exception>
    public byte[] Get(string blobId, string wrapped, ObjectKey master)
    {
        if (_keys.TryGet((blobId, wrapped), out var key))
        {
            return key;
        }

        key = master.Unwrap(blobId, wrapped);
        CipherContexts.Reusable(key);
        _keys.Set((blobId, wrapped), key);
        return key;
    }
}
