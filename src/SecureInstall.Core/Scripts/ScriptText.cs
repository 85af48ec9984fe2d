using SecureInstall.Core.IO;

namespace SecureInstall.Core.Scripts;

/// <summary>
/// A script's verified bytes as text: decoded the way PowerShell 7 reads a script file (BOM first, else UTF-8), shown
/// for review with nothing hidden, and written for a PowerShell host so that it decodes exactly that text.
/// </summary>
public static class ScriptText
{
    public static string Decode(byte[] bytes)
    {
        if (bytes == null) throw new ArgumentNullException(nameof(bytes));
        return TextDecoding.Decode(bytes, bytes.Length);
    }

    /// <summary>
    /// The bytes to hand a PowerShell host as a script file, so that it decodes exactly <see cref="Decode"/>'s text.
    /// Both hosts honour a BOM (UTF-8, UTF-16 LE/BE, UTF-32), but without one Windows PowerShell 5.1 reads the ANSI code
    /// page while the digest and the review read UTF-8: 'é' would run as 'Ã©'. So bytes whose BOM both hosts and
    /// <see cref="Decode"/> read alike are kept as they are (a signature over them stays valid); everything else (no BOM,
    /// or FF FE 00 00, which the hosts take for UTF-32) becomes the decoded text as UTF-8 with a BOM.
    /// </summary>
    public static byte[] ForScriptFile(byte[] verified)
    {
        if (verified == null) throw new ArgumentNullException(nameof(verified));
        // FF FE 00 00 is UTF-16 LE to Decode, UTF-32 LE to the hosts.
        bool hostsReadAlike = TextDecoding.ByteOrderMark(verified, verified.Length).Encoding is { } marked
            && !(marked.CodePage == Encoding.Unicode.CodePage && verified.Length >= 4 && verified[2] == 0 && verified[3] == 0);
        if (hostsReadAlike) return (byte[])verified.Clone();
        byte[] text = TextDecoding.Utf8.GetBytes(Decode(verified));
        var file = new byte[text.Length + 3];
        file[0] = 0xEF;
        file[1] = 0xBB;
        file[2] = 0xBF;
        Buffer.BlockCopy(text, 0, file, 3, text.Length);
        return file;
    }

    /// <summary>
    /// Script text as a person should read it (-Inspect, --inspect, the ScriptChanged diff): every character that a
    /// terminal would act on or not draw is shown as an escape, so nothing can hide a line from the reader
    /// (ESC[2K and a carriage return erase what came before; bidi overrides reorder it, as in "Trojan Source").
    /// Escaped: C0 controls but TAB and LF, DEL and C1 controls as \xHH; format characters (bidi embeddings, overrides
    /// and isolates, zero-width characters, the BOM), line and paragraph separators, invisible fillers and lone
    /// surrogates as \uHHHH (\UHHHHHHHH past the BMP). A CR before an LF is dropped; a lone CR, which PowerShell reads
    /// as a line break, is shown as \x0d followed by a line break, so the lines shown are the lines PowerShell parses.
    /// </summary>
    public static string ForReview(string text) => Render(text, keepLineBreaks: true);

    /// <summary>As <see cref="ForReview"/>, for text shown on one line (a diff line, a name): LF is escaped too.</summary>
    public static string ForReviewLine(string text) => Render(text, keepLineBreaks: false);

    private static string Render(string text, bool keepLineBreaks)
    {
        if (text == null) throw new ArgumentNullException(nameof(text));
        StringBuilder? sb = null;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            string? shown;
            int width = 1;
            if (c == '\r')
            {
                bool beforeLf = i + 1 < text.Length && text[i + 1] == '\n';
                shown = keepLineBreaks && beforeLf ? string.Empty
                    : keepLineBreaks && i + 1 < text.Length ? "\\x0d\n"
                    : "\\x0d";
            }
            else if (c == '\n') shown = keepLineBreaks ? null : "\\x0a";
            else if (c == '\t') shown = null;
            else shown = Escape(text, i, out width);

            if (shown == null)
            {
                sb?.Append(text, i, width);
            }
            else
            {
                sb ??= new StringBuilder(text.Length + 16).Append(text, 0, i);
                sb.Append(shown);
            }
            i += width - 1;
        }
        return sb == null ? text : sb.ToString();
    }

    /// <summary>The escape for the character (or surrogate pair) at <paramref name="i"/>, or null when it is drawn as itself.</summary>
    private static string? Escape(string text, int i, out int width)
    {
        char c = text[i];
        width = 1;
        if (c < 0x20 || (c >= 0x7F && c <= 0x9F)) return "\\x" + ((int)c).ToString("x2", CultureInfo.InvariantCulture);
        if (c < 0x7F) return null;
        if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
        {
            width = 2;
            int code = char.ConvertToUtf32(c, text[i + 1]);
            return IsHidden(CharUnicodeInfo.GetUnicodeCategory(text, i), code)
                ? "\\U" + code.ToString("x8", CultureInfo.InvariantCulture)
                : null;
        }
        return IsHidden(CharUnicodeInfo.GetUnicodeCategory(c), c) ? "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture) : null;
    }

    private static bool IsHidden(UnicodeCategory category, int code) =>
        category is UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
            or UnicodeCategory.Surrogate or UnicodeCategory.Control
        // Bidi embeddings, overrides and isolates by number too: the Unicode tables of .NET Framework are older.
        || (code >= 0x202A && code <= 0x202E) || (code >= 0x2066 && code <= 0x2069)
        // Hangul fillers: letters that draw nothing, so an identifier can carry an invisible part.
        || code is 0x115F or 0x1160 or 0x3164 or 0xFFA0;
}
