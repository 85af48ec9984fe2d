namespace SecureInstall.Core.Archives;

/// <summary>Field decoding for 512-byte tar header blocks (v7, ustar, GNU and PAX share this layout).</summary>
internal static class TarHeader
{
    public const int BlockSize = 512;

    /// <summary>
    /// A ustar/GNU magic at offset 257, or (for v7 archives, which have no magic) a non-empty name, octal
    /// numeric fields and a checksum that adds up.
    /// </summary>
    public static bool LooksLikeHeader(byte[] block)
    {
        if (block.Length < BlockSize) return false;
        // with the magic, a bad checksum is a damaged tar (reported as such by the reader), not another format
        if (block[257] == 'u' && block[258] == 's' && block[259] == 't' && block[260] == 'a' && block[261] == 'r') return true;
        if (block[0] == 0) return false;
        return TryParseOctal(block, 100, 8, out _) && TryParseOctal(block, 124, 12, out _) && ChecksumMatches(block);
    }

    public static bool IsZeroBlock(byte[] block)
    {
        for (int i = 0; i < BlockSize; i++)
        {
            if (block[i] != 0) return false;
        }
        return true;
    }

    /// <summary>The sum of all bytes with the checksum field read as spaces; old tars summed signed bytes, so either sum is accepted.</summary>
    public static bool ChecksumMatches(byte[] block)
    {
        if (!TryParseOctal(block, 148, 8, out long stored)) return false;
        long unsignedSum = 0, signedSum = 0;
        for (int i = 0; i < BlockSize; i++)
        {
            byte b = i >= 148 && i < 156 ? (byte)' ' : block[i];
            unsignedSum += b;
            signedSum += (sbyte)b;
        }
        return stored == unsignedSum || stored == signedSum;
    }

    /// <summary>Octal digits, optionally padded with spaces or NULs; GNU base-256 when the high bit of the first byte is set.</summary>
    public static bool TryParseOctal(byte[] block, int offset, int length, out long value)
    {
        value = 0;
        if ((block[offset] & 0x80) != 0)
        {
            // base-256: big-endian two's complement; a negative size or time is never legitimate here
            if ((block[offset] & 0x40) != 0) return false;
            long v = block[offset] & 0x3F;
            for (int i = 1; i < length; i++)
            {
                if (v > (long.MaxValue >> 8)) return false;
                v = (v << 8) | block[offset + i];
            }
            value = v;
            return true;
        }
        int p = offset, end = offset + length;
        while (p < end && (block[p] == ' ' || block[p] == 0)) p++;
        if (p == end) return true; // an empty field is zero
        bool any = false;
        while (p < end && block[p] >= '0' && block[p] <= '7')
        {
            if (value > (long.MaxValue >> 3)) return false;
            value = (value << 3) | (long)(block[p] - '0');
            p++;
            any = true;
        }
        while (p < end && (block[p] == ' ' || block[p] == 0)) p++;
        return any && p == end;
    }

    /// <summary>A NUL-terminated field, as UTF-8 (what PAX and every current tar write; invalid bytes become U+FFFD, deterministically).</summary>
    public static string ReadString(byte[] block, int offset, int length)
    {
        int end = offset;
        while (end < offset + length && block[end] != 0) end++;
        return Encoding.UTF8.GetString(block, offset, end - offset);
    }
}
