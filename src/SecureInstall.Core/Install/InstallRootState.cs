using System.Text.Json;
using SecureInstall.Core.IO;

namespace SecureInstall.Core.Install;

/// <summary>One tool version installed in an install root: for which platform, from which pin, its tree, and the shims it wrote.</summary>
public sealed class InstallRecord
{
    public string Tool { get; set; } = string.Empty;
    public string Version { get; set; } = string.Empty;
    public string Platform { get; set; } = string.Empty;

    /// <summary>The SHA-256 of the artifact installed (lower-case hex), or empty for a waived one.</summary>
    public string Sha256 { get; set; } = string.Empty;

    /// <summary>"sha256:" + the digest of the installed tree's canonical listing, when it was installed.</summary>
    public string TreeDigest { get; set; } = string.Empty;

    /// <summary>The shims written for this install: command name → the bin entry (path inside the tree) it starts.</summary>
    public SortedDictionary<string, string> Shims { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// The install root's own record of what is installed in it (<c>&lt;root&gt;/.secureinstall-state.json</c>): the per-machine half
/// of what the lock held before lockVersion 2. Folders are never read from it: &lt;root&gt;/&lt;tool&gt;/&lt;version&gt; is derived from
/// the root and the checked names, as everywhere. It is local state like the cache: read only when it is a regular file that
/// only this user or root can change (the root itself is checked by <see cref="InstallRootLayout.EnsureTrustedRoot"/>), every
/// name in it held to the rules a manifest's are; written atomically under the root's lock.
/// </summary>
public sealed class InstallRootState
{
    public const string FileName = ".secureinstall-state.json";
    public const int FormatVersion = 1;

    /// <summary>A record is a few hundred bytes; anything near this is not a state file.</summary>
    public const int MaximumBytes = 16 * 1024 * 1024;

    private readonly SortedDictionary<string, InstallRecord> _records = new(StringComparer.Ordinal);

    public IEnumerable<InstallRecord> Records => _records.Values;

    public static string PathIn(string root) => Path.Combine(root, FileName);

    private static string Key(string tool, string version) => tool + "\0" + version;

    public InstallRecord? Find(string tool, string version) => _records.TryGetValue(Key(tool, version), out InstallRecord? r) ? r : null;

    public void Set(InstallRecord record) => _records[Key(record.Tool, record.Version)] = record;

    public bool Remove(string tool, string version) => _records.Remove(Key(tool, version));

    /// <summary>
    /// Reads the state of <paramref name="root"/>; none yet is an empty state. Throws <see cref="InstallException"/>:
    /// InstallRootNotTrusted when the file is a link, FIFO or device, or another user owns or can write it (it decides which
    /// shims an uninstall removes and a check expects); InstallStateInvalid when it is not a state file SecureInstall wrote.
    /// </summary>
    public static InstallRootState Load(string root)
    {
        string path = PathIn(root);
        var state = new InstallRootState();
        if (!UnixFileSystem.TryGetEntry(path, out FileStatus entry)) return state;
        string? distrust = UnixFileSystem.CanReadOwners ? Downloads.ArtifactCache.Distrust(entry)
            : entry.Kind == UnixEntryKind.RegularFile ? null : "not a regular file";
        if (distrust != null)
            throw new InstallException(ErrorIds.InstallRootNotTrusted, FailureKind.Security, path,
                $"the install root's state '{path}' is {distrust}: only a regular file that you (or root) own and nobody else can write is read. Remove it and reinstall the tools of this root with Install-PinnedTool -Force.");
        try
        {
            byte[] bytes = RegularFile.ReadAll(path, MaximumBytes);
            using JsonDocument doc = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 8 });
            JsonElement top = doc.RootElement;
            int version = top.GetProperty("stateVersion").GetInt32();
            if (version != FormatVersion) throw new InvalidDataException($"stateVersion {version} is not supported (expected {FormatVersion}).");
            foreach (JsonProperty tool in top.GetProperty("installs").EnumerateObject())
            foreach (JsonProperty ver in tool.Value.EnumerateObject())
            {
                JsonElement e = ver.Value;
                var record = new InstallRecord
                {
                    Tool = Named(tool.Name, isVersion: false),
                    Version = Named(ver.Name, isVersion: true),
                    Platform = e.GetProperty("platform").GetString() ?? string.Empty,
                    Sha256 = e.GetProperty("sha256").GetString() ?? string.Empty,
                    TreeDigest = e.GetProperty("treeDigest").GetString() ?? string.Empty,
                    Shims = InstallLock.StringMap(e.GetProperty("shims")),
                };
                if (record.Sha256.Length > 0 && Checksums.Hex.TryDecode(record.Sha256) is not { Length: 32 })
                    throw new InvalidDataException($"{record.Tool} {record.Version}: sha256 '{record.Sha256}' is not 64 hex digits.");
                if (!record.TreeDigest.StartsWith("sha256:", StringComparison.Ordinal) || Checksums.Hex.TryDecode(record.TreeDigest.Substring(7)) is not { Length: 32 })
                    throw new InvalidDataException($"{record.Tool} {record.Version}: treeDigest '{record.TreeDigest}' is not sha256:<64 hex digits>.");
                foreach (var shim in record.Shims)
                {
                    if (!InstallRootLayout.IsCommandName(shim.Key) || !RelativePath.IsInside(shim.Value))
                        throw new InvalidDataException($"{record.Tool} {record.Version}: shim '{shim.Key}' → '{shim.Value}' is not a command name starting a file inside the tree.");
                }
                state.Set(record);
            }
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or InvalidDataException or FormatException or IOException)
        {
            throw new InstallException(ErrorIds.InstallStateInvalid, FailureKind.InvalidData, path,
                $"'{path}' is not an install root state SecureInstall wrote: {ex.Message} Remove it and reinstall the tools of this root with Install-PinnedTool -Force.", ex);
        }
        return state;
    }

    private static string Named(string value, bool isVersion) =>
        InstallRootLayout.ReservedReason(value, isVersion) is { } reason ? throw new InvalidDataException(reason) : value;

    /// <summary>The canonical text of the state (<see cref="CanonicalJson"/>).</summary>
    public string ToJson() => CanonicalJson.Write(w =>
    {
        w.WriteStartObject();
        w.WriteNumber("stateVersion", FormatVersion);
        w.WriteStartObject("installs");
        foreach (IGrouping<string, InstallRecord> tool in _records.Values.GroupBy(r => r.Tool).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            w.WriteStartObject(tool.Key);
            foreach (InstallRecord r in tool.OrderBy(r => r.Version, StringComparer.Ordinal))
            {
                w.WriteStartObject(r.Version);
                w.WriteString("platform", r.Platform);
                w.WriteString("sha256", r.Sha256);
                w.WriteString("treeDigest", r.TreeDigest);
                CanonicalJson.WriteMap(w, "shims", r.Shims);
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        w.WriteEndObject();
        w.WriteEndObject();
    });

    /// <summary>
    /// Reads, changes and saves the state of <paramref name="root"/> under the root's state lock (&lt;root&gt;/.locks/.state.lock, a
    /// dot-name no tool's lock can have):
    /// installs of different tools into one root share the file, so its read-modify-write is serialised.
    /// </summary>
    public static void Update(string root, TimeSpan timeout, Action<InstallRootState> change, CancellationToken cancellationToken)
    {
        if (change == null) throw new ArgumentNullException(nameof(change));
        string lockPath = Path.Combine(root, ".locks", ".state.lock");
        using FileLock fileLock = FileLock.TryAcquire(lockPath, timeout, cancellationToken)
            ?? throw new InstallException(ErrorIds.InstallInProgress, FailureKind.ResourceUnavailable, PathIn(root), $"another process holds {lockPath}.");
        InstallRootState current = Load(root);
        change(current);
        AtomicFile.WriteAllText(PathIn(root), current.ToJson());
    }
}
