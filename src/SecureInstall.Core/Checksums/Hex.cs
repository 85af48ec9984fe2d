namespace SecureInstall.Core.Checksums;

/// <summary>Lower-case hex encoding (netstandard2.0 has no Convert.ToHexString).</summary>
public static class Hex
{
    public static string Encode(byte[] bytes)
    {
        if (bytes == null) throw new ArgumentNullException(nameof(bytes));
        const string digits = "0123456789abcdef";
        char[] chars = new char[bytes.Length * 2];
        for (int i = 0; i < bytes.Length; i++)
        {
            chars[2 * i] = digits[bytes[i] >> 4];
            chars[2 * i + 1] = digits[bytes[i] & 0xF];
        }
        return new string(chars);
    }

    /// <summary>The bytes of an even-length hex string (either case), or null when it is anything else.</summary>
    public static byte[]? TryDecode(string hex)
    {
        if (hex == null || hex.Length % 2 != 0) return null;
        byte[] bytes = new byte[hex.Length / 2];
        for (int i = 0; i < bytes.Length; i++)
        {
            int hi = Nibble(hex[2 * i]), lo = Nibble(hex[2 * i + 1]);
            if (hi < 0 || lo < 0) return null;
            bytes[i] = (byte)((hi << 4) | lo);
        }
        return bytes;
    }

    private static int Nibble(char c) =>
        c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

    public static bool IsHex(string s)
    {
        if (s.Length == 0) return false;
        foreach (char c in s)
        {
            if (!IsHexDigit(c)) return false;
        }
        return true;
    }

    // Called per character of every digest in a list; written so the compiler inlines it (OR-ing 0x20 folds A-F onto a-f).
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static bool IsHexDigit(char c) => (uint)(c - '0') <= 9 || (uint)((c | 0x20) - 'a') <= 'f' - 'a';

    /// <summary>Compares two hex digests in constant time, ignoring case.</summary>
    public static bool DigestEquals(string a, string b)
    {
        if (a.Length != b.Length) return false;
        int diff = 0;
        for (int i = 0; i < a.Length; i++)
        {
            diff |= char.ToLowerInvariant(a[i]) ^ char.ToLowerInvariant(b[i]);
        }
        return diff == 0;
    }
}
