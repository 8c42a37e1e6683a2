using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using Microsoft.AspNetCore.WebUtilities;

namespace QaMonolith.Api;

/// <summary>
/// A keyset position: the last item's (lastActivityAt, id) plus the list it belongs to. Opaque to clients;
/// the tag catches a tampered or truncated cursor, and the scope catches one from another list. It is not a
/// secret: a forged cursor could only name a position in a public list.
/// </summary>
internal readonly record struct Cursor(char Scope, long ScopeId, DateTime LastActivityAt, long Id)
{
    private const byte Version = 1;
    private const int PayloadLength = 1 + 1 + 8 + 8 + 8;
    private const int TagLength = 8;
    private static readonly byte[] TagKey = "QaMonolith cursor v1"u8.ToArray();
    private static readonly long MinMicroseconds = (DateTime.MinValue - DateTime.UnixEpoch).Ticks / 10;
    private static readonly long MaxMicroseconds = (DateTime.MaxValue - DateTime.UnixEpoch).Ticks / 10;

    public string Encode()
    {
        Span<byte> bytes = stackalloc byte[PayloadLength + TagLength];
        bytes[0] = Version;
        bytes[1] = (byte)Scope;
        BinaryPrimitives.WriteInt64BigEndian(bytes[2..], ScopeId);
        BinaryPrimitives.WriteInt64BigEndian(bytes[10..], ToMicroseconds(LastActivityAt));
        BinaryPrimitives.WriteInt64BigEndian(bytes[18..], Id);
        Tag(bytes[..PayloadLength], bytes[PayloadLength..]);
        return WebEncoders.Base64UrlEncode(bytes);
    }

    public static bool TryDecode(string raw, char scope, long scopeId, [NotNullWhen(true)] out Cursor? cursor)
    {
        cursor = null;
        byte[] bytes;
        try
        {
            bytes = WebEncoders.Base64UrlDecode(raw);
        }
        catch (FormatException)
        {
            return false;
        }

        if (bytes.Length != PayloadLength + TagLength || bytes[0] != Version)
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[TagLength];
        Tag(bytes.AsSpan(0, PayloadLength), expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, bytes.AsSpan(PayloadLength)))
        {
            return false;
        }

        // The tag key is in the source, so a well-tagged cursor may still hold a time no DateTime can.
        var micros = BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(10));
        if (micros < MinMicroseconds || micros > MaxMicroseconds)
        {
            return false;
        }

        var decoded = new Cursor(
            (char)bytes[1],
            BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(2)),
            FromMicroseconds(micros),
            BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(18)));
        if (decoded.Scope != scope || decoded.ScopeId != scopeId)
        {
            return false;
        }

        cursor = decoded;
        return true;
    }

    private static void Tag(ReadOnlySpan<byte> payload, Span<byte> destination)
    {
        Span<byte> hash = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(TagKey, payload, hash);
        hash[..TagLength].CopyTo(destination);
    }

    // PostgreSQL keeps microseconds; the cursor must round-trip exactly or a page boundary repeats or skips an item.
    private static long ToMicroseconds(DateTime value) => (value.ToUniversalTime() - DateTime.UnixEpoch).Ticks / 10;

    private static DateTime FromMicroseconds(long micros) => DateTime.UnixEpoch.AddTicks(micros * 10);
}
