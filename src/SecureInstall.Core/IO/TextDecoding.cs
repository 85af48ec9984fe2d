namespace SecureInstall.Core.IO;

/// <summary>
/// The one rule for the byte-order mark of text SecureInstall reads (checksum lists, scripts, keys and signatures, the
/// start of a download): EF BB BF is UTF-8, FF FE UTF-16 LE, FE FF UTF-16 BE; the mark is never part of the text.
/// Without one the text is UTF-8. UTF-32 marks are not recognised (FF FE 00 00 reads as UTF-16 LE): no list, key or
/// signature is written so, and the script runner re-encodes such bytes for its host (<c>ScriptText.ForScriptFile</c>).
/// </summary>
public static class TextDecoding
{
    /// <summary>UTF-8 that writes no mark and turns invalid bytes into U+FFFD.</summary>
    public static readonly UTF8Encoding Utf8 = new(false);

    /// <summary>The byte-order mark as a character, as it appears when text was decoded without looking for one.</summary>
    public const char ByteOrderMarkChar = '\uFEFF';

    /// <summary>3 when <paramref name="bytes"/> (the first <paramref name="count"/>) start with the UTF-8 mark, else 0.</summary>
    public static int Utf8BomLength(byte[] bytes, int count)
    {
        if (bytes == null) throw new ArgumentNullException(nameof(bytes));
        return count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0;
    }

    /// <summary>The encoding the byte-order mark at the start names and the mark's length; (null, 0) without one.</summary>
    public static (Encoding? Encoding, int Length) ByteOrderMark(byte[] bytes, int count)
    {
        if (bytes == null) throw new ArgumentNullException(nameof(bytes));
        if (Utf8BomLength(bytes, count) == 3) return (Encoding.UTF8, 3);
        if (count >= 2 && bytes[0] == 0xFF && bytes[1] == 0xFE) return (Encoding.Unicode, 2);
        if (count >= 2 && bytes[0] == 0xFE && bytes[1] == 0xFF) return (Encoding.BigEndianUnicode, 2);
        return (null, 0);
    }

    /// <summary>
    /// The encoding of text bytes and the length of their mark: the mark decides; without one, with
    /// <paramref name="sniffUtf16"/>, text whose every other byte is zero is UTF-16 (Windows tools write it without a
    /// mark; ASCII then leaves every other byte zero); anything else is UTF-8.
    /// </summary>
    public static (Encoding Encoding, int Preamble) Detect(byte[] bytes, int count, bool sniffUtf16 = false)
    {
        (Encoding? marked, int length) = ByteOrderMark(bytes, count);
        if (marked != null) return (marked, length);
        if (sniffUtf16 && count >= 4 && count % 2 == 0)
        {
            int zeroEven = 0, zeroOdd = 0, sample = Math.Min(count, 4096);
            for (int i = 0; i < sample; i++)
            {
                if (bytes[i] == 0) { if (i % 2 == 0) zeroEven++; else zeroOdd++; }
            }
            if (zeroOdd > sample / 4 && zeroEven == 0) return (Encoding.Unicode, 0);
            if (zeroEven > sample / 4 && zeroOdd == 0) return (Encoding.BigEndianUnicode, 0);
        }
        return (Encoding.UTF8, 0);
    }

    /// <summary>The text of the first <paramref name="count"/> bytes, decoded by <see cref="Detect"/>, the mark dropped.</summary>
    public static string Decode(byte[] bytes, int count, bool sniffUtf16 = false)
    {
        (Encoding encoding, int preamble) = Detect(bytes, count, sniffUtf16);
        return encoding.GetString(bytes, preamble, count - preamble);
    }

    /// <summary>The text without a leading mark (text decoded by something that kept it).</summary>
    public static string WithoutByteOrderMark(string text) =>
        text.Length > 0 && text[0] == ByteOrderMarkChar ? text.Substring(1) : text;
}
