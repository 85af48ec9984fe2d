using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.IO;

namespace SecureInstall.Core.Scripts;

/// <summary>One script pinned on first use: where it came from, its digest, when, and the copy kept for diffs.</summary>
public sealed class ScriptPin
{
    public ScriptPin(string uri, string sha256, string pinnedAt, string copy)
    {
        Uri = uri;
        Sha256 = sha256;
        PinnedAt = pinnedAt;
        Copy = copy;
    }

    public string Uri { get; }
    public string Sha256 { get; }

    /// <summary>UTC, ISO 8601.</summary>
    public string PinnedAt { get; }

    /// <summary>The kept copy, relative to the store's folder ('/' separators).</summary>
    public string Copy { get; }
}

/// <summary>
/// The trust-on-first-use pins: a JSON file (sorted by URI, one entry per script) and, in a folder beside it named
/// after it, a copy of each pinned script by digest. Both are meant to be committed and reviewed: a re-pin shows in
/// the history as a changed digest and a new copy.
/// </summary>
public sealed class ScriptPinStore
{
    public const string FileVariable = "SECUREINSTALL_SCRIPT_PINS";

    public ScriptPinStore(string path)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new ArgumentException("A pin store path is required.", nameof(path));
        FilePath = System.IO.Path.GetFullPath(path);
    }

    public string FilePath { get; }

    private string Folder => System.IO.Path.GetDirectoryName(FilePath)!;

    private string CopiesFolderName => System.IO.Path.GetFileNameWithoutExtension(FilePath);

    /// <summary>
    /// $env:SECUREINSTALL_SCRIPT_PINS; else $env:SECUREINSTALL_HOME/script-pins.json; else per user:
    /// %LOCALAPPDATA%\SecureInstall\script-pins.json, $XDG_DATA_HOME/secureinstall or ~/.local/share/secureinstall.
    /// </summary>
    public static string DefaultPath()
    {
        string? configured = Environment.GetEnvironmentVariable(FileVariable);
        if (!string.IsNullOrWhiteSpace(configured)) return System.IO.Path.GetFullPath(configured);
        string? home = Environment.GetEnvironmentVariable("SECUREINSTALL_HOME");
        if (!string.IsNullOrWhiteSpace(home)) return System.IO.Path.Combine(System.IO.Path.GetFullPath(home), "script-pins.json");
        if (System.IO.Path.DirectorySeparatorChar == '\\')
            return System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "SecureInstall", "script-pins.json");
        string? xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        string root = !string.IsNullOrEmpty(xdg) && System.IO.Path.IsPathRooted(xdg)
            ? xdg!
            : System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
        return System.IO.Path.Combine(root, "secureinstall", "script-pins.json");
    }

    /// <summary>The key a script is pinned under: its URI without credentials or query secrets.</summary>
    public static string KeyFor(Uri uri) => UriText.Redact(uri);

    public IReadOnlyList<ScriptPin> Load()
    {
        if (!File.Exists(FilePath)) return Array.Empty<ScriptPin>();
        try
        {
            using FileStream stream = File.OpenRead(FilePath);
            using JsonDocument doc = JsonDocument.Parse(stream);
            if (!doc.RootElement.TryGetProperty("scripts", out JsonElement scripts) || scripts.ValueKind != JsonValueKind.Array)
                throw new PinStoreInvalidException(FilePath, "it has no \"scripts\" array");
            var pins = new List<ScriptPin>();
            foreach (JsonElement e in scripts.EnumerateArray())
            {
                string uri = Text(e, "uri"), sha = Text(e, "sha256").ToLowerInvariant(), copy = Text(e, "copy");
                if (sha.Length != 64 || !sha.All(Uri.IsHexDigit)) throw new PinStoreInvalidException(FilePath, $"the sha256 of {uri} is not 64 hex digits");
                if (copy.Contains("..") || System.IO.Path.IsPathRooted(copy)) throw new PinStoreInvalidException(FilePath, $"the copy of {uri} is outside the store's folder");
                pins.Add(new ScriptPin(uri, sha, e.TryGetProperty("pinnedAt", out JsonElement at) ? at.GetString() ?? "" : "", copy));
            }
            return pins;
        }
        catch (JsonException ex)
        {
            throw new PinStoreInvalidException(FilePath, ex.Message, ex);
        }
    }

    public ScriptPin? Find(Uri uri)
    {
        string key = KeyFor(uri);
        return Load().FirstOrDefault(p => p.Uri == key);
    }

    /// <summary>The pinned copy's bytes, or null when it was removed (the diff then shows the whole new script).</summary>
    public byte[]? ReadCopy(ScriptPin pin)
    {
        string path = System.IO.Path.Combine(Folder, pin.Copy.Replace('/', System.IO.Path.DirectorySeparatorChar));
        return File.Exists(path) ? File.ReadAllBytes(path) : null;
    }

    /// <summary>Records (or replaces) the pin for <paramref name="uri"/>; the copy is written before the entry that names it.</summary>
    public ScriptPin Pin(Uri uri, string sha256, byte[] content, DateTimeOffset when)
    {
        string key = KeyFor(uri);
        string extension = System.IO.Path.GetExtension(uri.AbsolutePath);
        if (extension.Length == 0 || extension.Length > 8 || extension.Any(c => !char.IsLetterOrDigit(c) && c != '.')) extension = ".txt";
        string copy = CopiesFolderName + "/" + sha256 + extension;
        Directory.CreateDirectory(System.IO.Path.Combine(Folder, CopiesFolderName));
        using (AtomicFile file = AtomicFile.Create(System.IO.Path.Combine(Folder, CopiesFolderName, sha256 + extension)))
        {
            file.Stream.Write(content, 0, content.Length);
            file.Commit();
        }

        var pin = new ScriptPin(key, sha256, when.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture), copy);
        List<ScriptPin> pins = Load().Where(p => p.Uri != key).ToList();
        pins.Add(pin);
        Save(pins.OrderBy(p => p.Uri, StringComparer.Ordinal));
        return pin;
    }

    private void Save(IEnumerable<ScriptPin> pins)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("comment", "Scripts pinned by Invoke-VerifiedScript -TrustOnFirstUse. Commit this file and the folder beside it; review every change.");
            json.WriteStartArray("scripts");
            foreach (ScriptPin p in pins)
            {
                json.WriteStartObject();
                json.WriteString("uri", p.Uri);
                json.WriteString("sha256", p.Sha256);
                json.WriteString("pinnedAt", p.PinnedAt);
                json.WriteString("copy", p.Copy);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        // Utf8JsonWriter ends lines with Environment.NewLine on netstandard2.0; the file is LF everywhere so diffs stay clean.
        byte[] bytes = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(buffer.ToArray()).Replace("\r\n", "\n") + "\n");
        Directory.CreateDirectory(Folder);
        using AtomicFile file = AtomicFile.Create(FilePath);
        file.Stream.Write(bytes, 0, bytes.Length);
        file.Commit();
    }

    private string Text(JsonElement e, string name)
    {
        if (!e.TryGetProperty(name, out JsonElement v) || v.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(v.GetString()))
            throw new PinStoreInvalidException(FilePath, $"an entry has no \"{name}\"");
        return v.GetString()!;
    }
}
