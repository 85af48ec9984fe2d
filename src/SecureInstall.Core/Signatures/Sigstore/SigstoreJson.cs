using System.Text.Json;

namespace SecureInstall.Core.Signatures.Sigstore;

/// <summary>Reads the protobuf-JSON shapes Sigstore uses: int64 as strings, bytes as base64, camelCase names.</summary>
internal static class SigstoreJson
{
    public static JsonElement? Child(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out JsonElement v) && v.ValueKind != JsonValueKind.Null ? v : null;

    public static JsonElement Required(JsonElement e, string name, string where) =>
        Child(e, name) ?? throw new FormatException($"{where}: '{name}' is missing");

    public static string? String(JsonElement e, string name) =>
        Child(e, name) is JsonElement v ? (v.ValueKind == JsonValueKind.String ? v.GetString() : throw new FormatException($"'{name}' is not a string")) : null;

    public static long? Int64(JsonElement e, string name)
    {
        if (Child(e, name) is not JsonElement v) return null;
        if (v.ValueKind == JsonValueKind.Number) return v.GetInt64();
        if (v.ValueKind == JsonValueKind.String && long.TryParse(v.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n)) return n;
        throw new FormatException($"'{name}' is not an integer");
    }

    public static byte[]? Bytes(JsonElement e, string name) => String(e, name) is string s ? Base64(s, name) : null;

    /// <summary>Standard base64; protobuf JSON also allows the URL-safe alphabet and missing padding.</summary>
    public static byte[] Base64(string s, string what)
    {
        string t = s.Replace('-', '+').Replace('_', '/');
        if (t.Length % 4 != 0 && t.IndexOf('=') < 0) t = t.PadRight(t.Length + (4 - t.Length % 4) % 4, '=');
        try
        {
            return Convert.FromBase64String(t);
        }
        catch (FormatException ex)
        {
            throw new FormatException($"'{what}' is not valid base64", ex);
        }
    }

    public static DateTimeOffset Time(string s, string what) =>
        DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out DateTimeOffset t)
            ? t : throw new FormatException($"'{what}' is not an RFC 3339 time: '{s}'");

    /// <summary>JSON Lines: each line that is not blank, with its 1-based line number.</summary>
    public static IEnumerable<(byte[] Line, int Number)> NonBlankLines(byte[] bytes)
    {
        int start = 0, line = 0;
        while (start < bytes.Length)
        {
            int end = Array.IndexOf(bytes, (byte)'\n', start);
            if (end < 0) end = bytes.Length;
            line++;
            var text = new ArraySegment<byte>(bytes, start, end - start);
            if (text.Any(b => b != ' ' && b != '\t' && b != '\r')) yield return (text.ToArray(), line);
            start = end + 1;
        }
    }
}
