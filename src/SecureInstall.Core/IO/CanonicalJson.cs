using System.Text.Encodings.Web;
using System.Text.Json;

namespace SecureInstall.Core.IO;

/// <summary>
/// The JSON files SecureInstall writes for people to review and diff (the lock, the install root's state): two-space
/// indent, LF line ends whatever the OS, UTF-8 without BOM, a final newline, and the default (strict) escaping except for
/// '+', which stays '+' so an SRI value ("sha512-AB+c…") or a version ("1.0+build") reads as written.
/// </summary>
public static class CanonicalJson
{
    /// <summary>The text <paramref name="write"/> makes, in the canonical form.</summary>
    public static string Write(Action<Utf8JsonWriter> write)
    {
        if (write == null) throw new ArgumentNullException(nameof(write));
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = PlusKeepingEncoder.Instance }))
            write(w);
        // Utf8JsonWriter (8.0) ends lines with Environment.NewLine: normalise so the file is the same bytes everywhere.
        return Encoding.UTF8.GetString(buffer.ToArray()).Replace("\r\n", "\n") + "\n";
    }

    /// <summary>A string map as an object, keys in ordinal order.</summary>
    public static void WriteMap(Utf8JsonWriter w, string name, IEnumerable<KeyValuePair<string, string>> map)
    {
        w.WriteStartObject(name);
        foreach (var kv in map) w.WriteString(kv.Key, kv.Value);
        w.WriteEndObject();
    }

    /// <summary>
    /// <see cref="JavaScriptEncoder.Default"/> with '+' allowed. Not UnsafeRelaxedJsonEscaping: everything else the default
    /// escapes (HTML-sensitive characters, non-ASCII, controls) is still escaped; '+' is escaped by default only against
    /// UTF-7 sniffing in HTML, which a lock file never meets.
    /// </summary>
    internal sealed class PlusKeepingEncoder : JavaScriptEncoder
    {
        public static readonly PlusKeepingEncoder Instance = new();

        private static readonly JavaScriptEncoder Inner = Default;

        private PlusKeepingEncoder()
        {
        }

        public override int MaxOutputCharactersPerInputCharacter => Inner.MaxOutputCharactersPerInputCharacter;

        public override bool WillEncode(int unicodeScalar) => unicodeScalar != '+' && Inner.WillEncode(unicodeScalar);

        public override unsafe bool TryEncodeUnicodeScalar(int unicodeScalar, char* buffer, int bufferLength, out int numberOfCharactersWritten) =>
            Inner.TryEncodeUnicodeScalar(unicodeScalar, buffer, bufferLength, out numberOfCharactersWritten);

        public override unsafe int FindFirstCharacterToEncode(char* text, int textLength)
        {
            for (int i = 0; i < textLength; i++)
            {
                char c = text[i];
                if (char.IsHighSurrogate(c) && i + 1 < textLength && char.IsLowSurrogate(text[i + 1]))
                {
                    if (WillEncode(char.ConvertToUtf32(c, text[i + 1]))) return i;
                    i++;
                }
                else if (char.IsSurrogate(c) || WillEncode(c))
                {
                    return i;
                }
            }
            return -1;
        }
    }
}
