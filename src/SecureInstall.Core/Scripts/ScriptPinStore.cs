using System.Text.Json;
using SecureInstall.Core.Checksums;
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

    /// <summary>
    /// The kept copy, relative to the store's folder ('/' separators): always the copies folder, the digest and an
    /// extension (<see cref="ScriptPinStore.CopyNameFor"/>); the store refuses an entry that names anything else.
    /// </summary>
    public string Copy { get; }
}

/// <summary>
/// The trust-on-first-use pins: a JSON file (sorted by URI, one entry per script) and, in a folder beside it named
/// after it, a copy of each pinned script by digest. Both are meant to be committed and reviewed: a re-pin shows in
/// the history as a changed digest and a new copy. Being committed, both can arrive in a pull request: a copy is found
/// by its digest, never by a path the file names, and is shown only if it is a regular file there that hashes to the pin.
/// </summary>
public sealed class ScriptPinStore
{
    public const string FileVariable = "SECUREINSTALL_SCRIPT_PINS";

    /// <summary>A pin store holds a few entries per script; a file past this is not one (or is /dev/zero behind a link).</summary>
    public const long MaximumFileSize = 16L * 1024 * 1024;

    private static readonly System.Text.RegularExpressions.Regex CopyExtension =
        new("^\\.[A-Za-z0-9]{1,7}\\z", System.Text.RegularExpressions.RegexOptions.CultureInvariant);   // \z: '$' would allow a trailing newline

    public ScriptPinStore(string path)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new ArgumentException("A pin store path is required.", nameof(path));
        FilePath = System.IO.Path.GetFullPath(path);
    }

    public string FilePath { get; }

    private string Folder => System.IO.Path.GetDirectoryName(FilePath)!;

    private string CopiesFolderName => System.IO.Path.GetFileNameWithoutExtension(FilePath);

    private string CopiesFolder => System.IO.Path.Combine(Folder, CopiesFolderName);

    /// <summary>
    /// The copy's name, relative to the store's folder: "{store name}/{sha256}{extension}", the extension the script's
    /// (ASCII letters and digits, up to 7) or ".txt". Derived from the digest, so the file cannot point a reader elsewhere.
    /// </summary>
    public string CopyNameFor(string sha256, string extension)
    {
        if (!CopyExtension.IsMatch(extension)) extension = ".txt";
        return CopiesFolderName + "/" + sha256 + extension;
    }

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
            using JsonDocument doc = JsonDocument.Parse(ReadStoreFile());
            if (!doc.RootElement.TryGetProperty("scripts", out JsonElement scripts) || scripts.ValueKind != JsonValueKind.Array)
                throw new PinStoreInvalidException(FilePath, "it has no \"scripts\" array");
            var pins = new List<ScriptPin>();
            foreach (JsonElement e in scripts.EnumerateArray())
            {
                string uri = Text(e, "uri"), sha = Text(e, "sha256").ToLowerInvariant(), copy = Text(e, "copy");
                string shown = ScriptText.ForReviewLine(uri);
                if (sha.Length != 64 || !sha.All(Uri.IsHexDigit)) throw new PinStoreInvalidException(FilePath, $"the sha256 of {shown} is not 64 hex digits");
                // The copy is named by the digest: a "copy" that names anything else (.git/config, a link, another pin's copy) is refused.
                string extension = copy.Length > CopiesFolderName.Length + 1 + 64 ? copy.Substring(CopiesFolderName.Length + 1 + 64) : string.Empty;
                string expected = CopyNameFor(sha, extension);
                if (!string.Equals(copy, expected, StringComparison.Ordinal))
                    throw new PinStoreInvalidException(FilePath,
                        $"the \"copy\" of {shown} is '{ScriptText.ForReviewLine(copy)}', expected '{expected}': a pinned copy is always named by its digest, in the folder '{CopiesFolderName}' beside the store");
                string pinnedAt = e.TryGetProperty("pinnedAt", out JsonElement at) && at.ValueKind == JsonValueKind.String ? at.GetString() ?? "" : "";
                if (pinnedAt.Length > 0 && !DateTime.TryParseExact(pinnedAt, "yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture,
                        System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal, out _))
                    throw new PinStoreInvalidException(FilePath, $"the \"pinnedAt\" of {shown} is '{ScriptText.ForReviewLine(pinnedAt)}', not a UTC time such as 2025-01-31T12:00:00Z");
                pins.Add(new ScriptPin(uri, sha, pinnedAt, copy));
            }
            return pins;
        }
        catch (JsonException ex)
        {
            throw new PinStoreInvalidException(FilePath, ex.Message, ex);
        }
    }

    /// <summary>The store arrives in pull requests: a regular file within the limit, never a link, FIFO or device in its place.</summary>
    private ReadOnlyMemory<byte> ReadStoreFile()
    {
        try
        {
            return RegularFile.ReadAll(FilePath, MaximumFileSize, allowHardLinks: true);
        }
        catch (IOException ex) when (ex is not (FileNotFoundException or DirectoryNotFoundException))
        {
            throw new PinStoreInvalidException(FilePath, ex is FileTooLargeException ? $"it is larger than {MaximumFileSize:N0} bytes" : ex.Message, ex);
        }
    }

    public ScriptPin? Find(Uri uri)
    {
        string key = KeyFor(uri);
        return Load().FirstOrDefault(p => p.Uri == key);
    }

    /// <summary>
    /// The pinned copy's bytes, for the old side of a diff; null with the reason when it cannot be shown: missing, not a
    /// regular file in the copies folder (a symbolic link, a hard link, a FIFO), larger than <paramref name="maximumSize"/>,
    /// or not hashing to the pin. Only bytes that hash to the pinned digest are ever returned, so a hostile store cannot
    /// make the diff print a file the reader does not already know.
    /// </summary>
    public byte[]? ReadCopy(ScriptPin pin, long maximumSize, out string? problem)
    {
        if (pin == null) throw new ArgumentNullException(nameof(pin));
        string path = System.IO.Path.Combine(Folder, pin.Copy.Replace('/', System.IO.Path.DirectorySeparatorChar));
        if (IsLink(CopiesFolder))
        {
            problem = $"the copies folder '{CopiesFolder}' is a symbolic link, which is not followed";
            return null;
        }
        byte[] bytes;
        try
        {
            bytes = RegularFile.ReadAll(path, maximumSize);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            problem = $"the copy '{path}' is missing";
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            problem = ex.Message.TrimEnd('.');
            return null;
        }
        string actual;
        using (var sha = ChecksumAlgorithms.Create(ChecksumAlgorithm.SHA256)) actual = Hex.Encode(sha.ComputeHash(bytes));
        if (!string.Equals(actual, pin.Sha256, StringComparison.Ordinal))
        {
            problem = $"the copy '{path}' hashes to sha256:{actual}, not the pinned digest";
            return null;
        }
        problem = null;
        return bytes;
    }

    /// <summary>Records (or replaces) the pin for <paramref name="uri"/>; the copy is written before the entry that names it.</summary>
    public ScriptPin Pin(Uri uri, string sha256, byte[] content, DateTimeOffset when)
    {
        string key = KeyFor(uri);
        string copy = CopyNameFor(sha256, System.IO.Path.GetExtension(uri.AbsolutePath));
        // A copies folder that is a link (committed as one) would take the copy somewhere else.
        if (IsLink(CopiesFolder))
            throw new PinStoreInvalidException(FilePath, $"its copies folder '{CopiesFolder}' is a symbolic link; it must be a folder");
        UnixFileSystem.CreateDirectory(CopiesFolder, 0x1ED /* 0755 whatever the umask */);
        using (AtomicFile file = AtomicFile.Create(System.IO.Path.Combine(Folder, copy.Replace('/', System.IO.Path.DirectorySeparatorChar))))
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
        UnixFileSystem.CreateDirectory(Folder, 0x1ED /* 0755 whatever the umask */);
        AtomicFile.WriteAllBytes(FilePath, bytes);
    }

    /// <summary>Whether the path is a symbolic link (or junction) itself, whether or not its target exists.</summary>
    private static bool IsLink(string path) => UnixFileSystem.TryGetEntry(path, out FileStatus entry) && entry.IsSymbolicLink;

    private string Text(JsonElement e, string name)
    {
        if (!e.TryGetProperty(name, out JsonElement v) || v.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(v.GetString()))
            throw new PinStoreInvalidException(FilePath, $"an entry has no \"{name}\"");
        return v.GetString()!;
    }
}
