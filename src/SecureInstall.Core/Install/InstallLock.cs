using System.Text.Json;
using SecureInstall.Core.IO;

namespace SecureInstall.Core.Install;

/// <summary>What the lock records for one tool, version and platform.</summary>
public sealed class LockEntry
{
    public string Tool { get; set; } = string.Empty;
    public string Version { get; set; } = string.Empty;
    public string Platform { get; set; } = string.Empty;
    public string Url { get; set; } = string.Empty;

    /// <summary>Lower-case hex, or empty for a waived entry.</summary>
    public string Sha256 { get; set; } = string.Empty;

    /// <summary>
    /// The manifest's integrity: pin (SRI, e.g. "sha512-BASE64") when it gave one, or null. <see cref="Sha256"/> is then the
    /// SHA-256 of the bytes that matched it.
    /// </summary>
    public string? Integrity { get; set; }

    public long Size { get; set; }

    /// <summary>Whether this entry records the pin <paramref name="artifact"/> carries (its sha256: and integrity:; empty for a waived one).</summary>
    public bool RecordsPinOf(Manifests.PinnedArtifact artifact)
    {
        if (artifact == null) throw new ArgumentNullException(nameof(artifact));
        if (!string.Equals(Integrity ?? string.Empty, artifact.IntegrityText ?? string.Empty, StringComparison.Ordinal)) return false;
        return artifact.Sha256 != null ? string.Equals(Sha256, artifact.Sha256, StringComparison.OrdinalIgnoreCase)
            : artifact.Integrity != null || Sha256.Length == 0;
    }

    /// <summary>
    /// The digests the lock holds for the artifact (SHA-256, and those of the integrity pin), to re-verify a kept
    /// Sigstore bundle against; null when it holds none.
    /// </summary>
    public Checksums.ChecksumEntry? PinnedDigests() => PinsOf(Sha256, Integrity, $"the lock's entry for {Tool} {Version}");

    /// <summary>A lock entry's sha256 and integrity as one entry to check (<see cref="Checksums.ChecksumEntry.Combine"/>).</summary>
    internal static Checksums.ChecksumEntry? PinsOf(string sha256, string? integrity, string source) => Checksums.ChecksumEntry.Combine(new[]
    {
        sha256.Length > 0 ? Checksums.ChecksumEntry.FromDigest(sha256, Checksums.ChecksumAlgorithm.SHA256, source) : null,
        string.IsNullOrEmpty(integrity) ? null : Checksums.ChecksumEntry.FromIntegrity(integrity!, source),
    }, source);

    /// <summary>What vouched for the bytes, e.g. "sha256 pinned in manifest", "minisign key RWQ…".</summary>
    public List<string> VerifiedBy { get; set; } = new();

    /// <summary>
    /// Where a lock written before lockVersion 2 said the install went (per machine; read, never written). Only compared and
    /// reported: every check and deletion uses &lt;root&gt;/&lt;tool&gt;/&lt;version&gt; of the root it is given. Empty for a current lock.
    /// </summary>
    public string InstalledPath { get; set; } = string.Empty;

    /// <summary>
    /// The shims a lock written before lockVersion 2 recorded (command name → bin entry; read, never written): used only
    /// when the install root's state (<see cref="InstallRootState"/>) has no record of the install yet.
    /// </summary>
    public SortedDictionary<string, string> Shims { get; set; } = new(StringComparer.Ordinal);

    /// <summary>"sha256:" + the SHA-256 of the installed tree's canonical listing.</summary>
    public string TreeDigest { get; set; } = string.Empty;

    public List<string> Waivers { get; set; } = new();

    /// <summary>The Sigstore / attestation requirement that verified the artifact (its settings), or null.</summary>
    public SortedDictionary<string, string>? SignaturePolicy { get; set; }

    /// <summary>The Sigstore bundle (JSON) that verified the artifact, kept so Test-PinnedTool re-verifies it offline.</summary>
    public string? SigstoreBundle { get; set; }
}

/// <summary>
/// <c>secureinstall.lock.json</c>: what a manifest's tools resolve to, from where, verified how, and the digest of each
/// installed tree: only what is true on every machine, so a lock committed from one machine installs identically on another
/// and re-writing it there changes no byte. Where things are installed on this machine is the install root's own state
/// (<see cref="InstallRootState"/>). Written deterministically (sorted keys, two-space indent, LF, UTF-8 without BOM) so it
/// diffs well in review, and atomically. Each top-level section ("tools", "modules") has one reader and one writer below; a new section
/// adds a pair beside them.
/// </summary>
public sealed partial class InstallLock
{
    public const string FileName = "secureinstall.lock.json";

    /// <summary>2: no per-machine fields (installedPath, shims). A lockVersion 1 lock is read once and written as 2.</summary>
    public const int FormatVersion = 2;

    /// <summary>The format written before issue 20: it also held installedPath and shims, which are dropped on the next write.</summary>
    public const int LegacyFormatVersion = 1;

    /// <summary>The lockVersion the file had when read: <see cref="LegacyFormatVersion"/> means the next write migrates it.</summary>
    public int ReadVersion { get; private set; } = FormatVersion;

    /// <summary>Whether this lock was read in the earlier format, whose per-machine fields the next write drops.</summary>
    public bool IsLegacy => ReadVersion == LegacyFormatVersion;

    /// <summary>Locks are kilobytes (a kept Sigstore bundle is a few); anything near this is not a lock.</summary>
    public const int MaximumBytes = 64 * 1024 * 1024;

    private readonly SortedDictionary<string, LockEntry> _entries = new(StringComparer.Ordinal);

    public IEnumerable<LockEntry> Entries => _entries.Values;

    public static string PathBeside(string manifestPath) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(manifestPath))!, FileName);

    private static string Key(string tool, string version, string platform) => tool + "\0" + version + "\0" + platform;

    public LockEntry? Find(string tool, string version, string platform) =>
        _entries.TryGetValue(Key(tool, version, platform), out LockEntry? e) ? e : null;

    /// <summary>Every locked version of a tool for a platform.</summary>
    public IEnumerable<LockEntry> ForTool(string tool, string platform) =>
        _entries.Values.Where(e => string.Equals(e.Tool, tool, StringComparison.OrdinalIgnoreCase) && e.Platform == platform);

    public void Set(LockEntry entry) => _entries[Key(entry.Tool, entry.Version, entry.Platform)] = entry;

    public bool Remove(string tool, string version, string platform) => _entries.Remove(Key(tool, version, platform));

    /// <summary>Reads a lock; a missing file is an empty lock, a malformed one an error naming the file.</summary>
    public static InstallLock Load(string path)
    {
        var lockFile = new InstallLock();
        if (!UnixFileSystem.TryGetEntry(path, out _)) return lockFile;
        try
        {
            // A lock is input like any file: a FIFO, device or link put in its place is refused, never read (it could block or never end).
            byte[] bytes = InstallRootLayout.ReadRegularFile(path, MaximumBytes)
                ?? throw new InvalidDataException($"it is not a regular file of at most {MaximumBytes / (1024 * 1024)} MiB (a symbolic link, FIFO, device or folder, or larger).");
            using JsonDocument doc = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 16 });
            JsonElement root = doc.RootElement;
            int version = root.GetProperty("lockVersion").GetInt32();
            if (version != FormatVersion && version != LegacyFormatVersion)
                throw new InvalidDataException($"lockVersion {version} is not supported (expected {FormatVersion}, or {LegacyFormatVersion}, which is migrated).");
            lockFile.ReadVersion = version;
            lockFile.ReadTools(root.GetProperty("tools"), version == LegacyFormatVersion);
            if (root.TryGetProperty("modules", out JsonElement modules)) lockFile.ReadModules(modules);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or InvalidDataException or FormatException)
        {
            throw new LockFormatException(path, ex);
        }
        return lockFile;
    }

    /// <summary>The "tools" section: tool → version → platform → entry. <paramref name="legacy"/>: also read installedPath and shims.</summary>
    private void ReadTools(JsonElement tools, bool legacy)
    {
        foreach (JsonProperty tool in tools.EnumerateObject())
        foreach (JsonProperty ver in tool.Value.EnumerateObject())
        foreach (JsonProperty platform in ver.Value.EnumerateObject())
        {
            JsonElement e = platform.Value;
            Set(new LockEntry
            {
                Tool = tool.Name,
                Version = ver.Name,
                Platform = platform.Name,
                Url = e.GetProperty("url").GetString() ?? string.Empty,
                Sha256 = e.GetProperty("sha256").GetString() ?? string.Empty,
                Integrity = e.TryGetProperty("integrity", out JsonElement sri) ? CheckedIntegrity(sri.GetString(), e.GetProperty("sha256").GetString() ?? string.Empty) : null,
                Size = e.GetProperty("size").GetInt64(),
                VerifiedBy = e.GetProperty("verifiedBy").EnumerateArray().Select(x => x.GetString() ?? string.Empty).ToList(),
                TreeDigest = e.GetProperty("treeDigest").GetString() ?? string.Empty,
                Waivers = e.TryGetProperty("waivers", out JsonElement w) ? w.EnumerateArray().Select(x => x.GetString() ?? string.Empty).ToList() : new List<string>(),
                SignaturePolicy = e.TryGetProperty("signaturePolicy", out JsonElement sp) ? StringMap(sp) : null,
                SigstoreBundle = e.TryGetProperty("sigstoreBundle", out JsonElement sb) ? sb.GetString() : null,
                // lockVersion 1 only (per machine): kept in memory for the migration, never written again.
                InstalledPath = legacy ? e.GetProperty("installedPath").GetString() ?? string.Empty : string.Empty,
                // Absent in locks written before shims were recorded: their shims are then not checked.
                Shims = legacy && e.TryGetProperty("shims", out JsonElement sh) ? StringMap(sh) : new SortedDictionary<string, string>(StringComparer.Ordinal),
            });
        }
    }

    internal static SortedDictionary<string, string> StringMap(JsonElement map) =>
        new(map.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? string.Empty), StringComparer.Ordinal);

    /// <summary>
    /// An integrity value the lock holds must read as the manifest's does (<see cref="Checksums.ChecksumEntry.FromIntegrity"/>),
    /// and a SHA-256 in it must be the entry's sha256: two pins that disagree make the lock invalid, not one of them right.
    /// </summary>
    private static string? CheckedIntegrity(string? value, string sha256)
    {
        if (value == null) return null;
        try
        {
            _ = LockEntry.PinsOf(sha256, value, "integrity");
            return value;
        }
        catch (Checksums.InvalidDigestException ex)
        {
            throw new InvalidDataException("integrity: " + ex.Message, ex);
        }
    }

    /// <summary>The canonical text of the lock.</summary>
    public string ToJson() => CanonicalJson.Write(w =>
    {
        w.WriteStartObject();
        w.WriteNumber("lockVersion", FormatVersion);
        WriteTools(w);
        WriteModules(w);
        w.WriteEndObject();
    });

    private void WriteTools(Utf8JsonWriter w)
    {
        w.WriteStartObject("tools");
        foreach (IGrouping<string, LockEntry> tool in _entries.Values.GroupBy(e => e.Tool).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            w.WriteStartObject(tool.Key);
            foreach (IGrouping<string, LockEntry> version in tool.GroupBy(e => e.Version).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                w.WriteStartObject(version.Key);
                foreach (LockEntry e in version.OrderBy(e => e.Platform, StringComparer.Ordinal))
                {
                    w.WriteStartObject(e.Platform);
                    w.WriteString("url", e.Url);
                    w.WriteString("sha256", e.Sha256);
                    if (e.Integrity != null) w.WriteString("integrity", e.Integrity);
                    w.WriteNumber("size", e.Size);
                    w.WriteStartArray("verifiedBy");
                    foreach (string v in e.VerifiedBy) w.WriteStringValue(v);
                    w.WriteEndArray();
                    w.WriteString("treeDigest", e.TreeDigest);
                    w.WriteStartArray("waivers");
                    foreach (string v in e.Waivers) w.WriteStringValue(v);
                    w.WriteEndArray();
                    if (e.SignaturePolicy != null) CanonicalJson.WriteMap(w, "signaturePolicy", e.SignaturePolicy);
                    // The bundle as one JSON string: the lock stays valid JSON, and the bytes verified are the bytes kept.
                    if (e.SigstoreBundle != null) w.WriteString("sigstoreBundle", e.SigstoreBundle);
                    w.WriteEndObject();
                }
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    /// <summary>
    /// Reads, changes and saves the lock at <paramref name="lockPath"/> under a file lock kept in <paramref name="root"/>'s
    /// .locks folder: installs of different tools share one lock file, so its read-modify-write is serialised.
    /// </summary>
    /// <param name="log">Told when the lock was in the earlier format and this write migrates it.</param>
    public static void Update(string lockPath, string root, TimeSpan timeout, Action<InstallLock> change, System.Threading.CancellationToken cancellationToken,
        Action<string>? log = null)
    {
        using FileLock fileLock = FileLock.TryAcquire(InstallRootLayout.LockFileLockPath(root, lockPath), timeout, cancellationToken)
            ?? throw new InstallException(ErrorIds.InstallInProgress, FailureKind.ResourceUnavailable, lockPath, $"another process holds {lockPath}.");
        InstallLock current = Load(lockPath);
        change(current);
        if (current.IsLegacy) CarryLegacyInstalls(current, root, timeout, cancellationToken);
        if (current.IsLegacy)
            log?.Invoke($"{lockPath} was written by an earlier SecureInstall (lockVersion {LegacyFormatVersion}); writing it as lockVersion {FormatVersion}: "
                + $"its per-machine fields (installedPath, shims) are dropped, and where tools are installed is kept in the install root's state ({InstallRootState.PathIn(root)}).");
        current.Save(lockPath);
    }

    /// <summary>
    /// Before a lockVersion 1 lock is written without its per-machine half, that half goes to the root's state: every entry it
    /// records as installed in <paramref name="root"/> (installedPath is &lt;root&gt;/&lt;tool&gt;/&lt;version&gt;) that the state does not
    /// know yet keeps its tree and shims there. Otherwise the write that migrates the lock (an install of one tool, an uninstall,
    /// a module install) would leave every other tool with no recorded shims, and Test-PinnedTool would stop checking them.
    /// </summary>
    private static void CarryLegacyInstalls(InstallLock legacy, string root, TimeSpan timeout, System.Threading.CancellationToken cancellationToken)
    {
        var here = new List<LockEntry>();
        foreach (LockEntry e in legacy.Entries)
        {
            if (e.InstalledPath.Length == 0 || InstallRootLayout.ReservedReason(e.Tool, false) != null || InstallRootLayout.ReservedReason(e.Version, true) != null) continue;
            if (InstallRootLayout.SamePath(e.InstalledPath, InstallRootLayout.VersionDirectory(root, e.Tool, e.Version))) here.Add(e);
        }
        if (here.Count == 0) return;
        InstallRootState.Update(root, timeout, state =>
        {
            foreach (LockEntry e in here.Where(e => state.Find(e.Tool, e.Version) == null))
                state.Set(new InstallRecord
                {
                    Tool = e.Tool, Version = e.Version, Platform = e.Platform, Sha256 = e.Sha256, TreeDigest = e.TreeDigest,
                    Shims = new SortedDictionary<string, string>(e.Shims.Where(kv => InstallRootLayout.IsCommandName(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value), StringComparer.Ordinal),
                });
        }, cancellationToken);
    }

    public void Save(string path) => AtomicFile.WriteAllText(path, ToJson());
}

public sealed class LockFormatException : SecureInstallException
{
    public LockFormatException(string path, Exception inner)
        : base($"{path} is not a SecureInstall lock file: {inner.Message} Restore it from version control, or delete it to re-lock from the manifest.",
               ErrorIds.LockInvalid, FailureKind.InvalidData, path, inner)
    {
    }
}
