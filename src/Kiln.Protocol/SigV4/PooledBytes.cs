using System.Buffers;
using System.Text;

namespace Kiln.Protocol.SigV4;

/// <summary>A growable byte buffer over <see cref="ArrayPool{T}"/> for building canonical requests
/// and strings to sign without garbage. A mutable struct: pass it by <c>ref</c>, dispose it once.</summary>
internal struct PooledBytes : IDisposable
{
    private byte[] _array;
    private int _length;

    public PooledBytes(int capacity)
    {
        _array = ArrayPool<byte>.Shared.Rent(capacity);
        _length = 0;
    }

    public readonly int Length => _length;

    public readonly ReadOnlySpan<byte> Written => _array.AsSpan(0, _length);

    public readonly ReadOnlySpan<byte> Slice(int start, int length) => _array.AsSpan(start, length);

    public void Truncate(int length) => _length = length;

    public void Append(byte value)
    {
        if (_length == _array.Length)
        {
            Grow(1);
        }

        _array[_length++] = value;
    }

    public void Append(ReadOnlySpan<byte> bytes)
    {
        if (_array.Length - _length < bytes.Length)
        {
            Grow(bytes.Length);
        }

        bytes.CopyTo(_array.AsSpan(_length));
        _length += bytes.Length;
    }

    /// <summary>Appends <paramref name="text"/> as UTF-8 (header values and paths are ASCII in practice).</summary>
    public void AppendUtf8(ReadOnlySpan<char> text)
    {
        var max = Encoding.UTF8.GetMaxByteCount(text.Length);
        if (_array.Length - _length < max)
        {
            Grow(max);
        }

        _length += Encoding.UTF8.GetBytes(text, _array.AsSpan(_length));
    }

    /// <summary>Space for <paramref name="count"/> bytes the caller fills; commit with <see cref="Advance"/>.</summary>
    public Span<byte> GetSpan(int count)
    {
        if (_array.Length - _length < count)
        {
            Grow(count);
        }

        return _array.AsSpan(_length, count);
    }

    public void Advance(int count) => _length += count;

    public readonly string ToUtf8String(int start, int length) => Encoding.UTF8.GetString(_array, start, length);

    public void Dispose()
    {
        var array = _array;
        _array = [];
        _length = 0;
        if (array.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }

    private void Grow(int needed)
    {
        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_array.Length * 2, _length + needed));
        _array.AsSpan(0, _length).CopyTo(bigger);
        if (_array.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_array);
        }

        _array = bigger;
    }
}

/// <summary>Lowercase hex for digests and signatures, on bytes and chars.</summary>
internal static class Hex
{
    private static ReadOnlySpan<byte> Digits => "0123456789abcdef"u8;

    /// <summary>Writes <paramref name="source"/> as lowercase hex ASCII; <paramref name="destination"/>
    /// holds twice as many bytes.</summary>
    public static void WriteLower(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        for (var i = 0; i < source.Length; i++)
        {
            destination[2 * i] = Digits[source[i] >> 4];
            destination[(2 * i) + 1] = Digits[source[i] & 0xF];
        }
    }

    public static bool TryDecode(ReadOnlySpan<char> hex, Span<byte> destination)
    {
        if (hex.Length != destination.Length * 2)
        {
            return false;
        }

        for (var i = 0; i < destination.Length; i++)
        {
            var high = Value(hex[2 * i]);
            var low = Value(hex[(2 * i) + 1]);
            if ((high | low) < 0)
            {
                return false;
            }

            destination[i] = (byte)((high << 4) | low);
        }

        return true;
    }

    public static bool TryDecode(ReadOnlySpan<byte> hex, Span<byte> destination)
    {
        if (hex.Length != destination.Length * 2)
        {
            return false;
        }

        for (var i = 0; i < destination.Length; i++)
        {
            var high = Value((char)hex[2 * i]);
            var low = Value((char)hex[(2 * i) + 1]);
            if ((high | low) < 0)
            {
                return false;
            }

            destination[i] = (byte)((high << 4) | low);
        }

        return true;
    }

    public static int Value(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };
}
