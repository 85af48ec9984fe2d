using System.Text.Json;

namespace SecureInstall.Core.Install;

/// <summary>
/// What the lock records for one pinned PowerShell module (issue 22): machine-independent facts only — version, the
/// .nupkg's SHA-512, the feed, the tree digest and the pinned dependencies. Never where it was installed: that is derived
/// from the module path each machine uses.
/// </summary>
public sealed class ModuleLockEntry
{
    public string Name { get; set; } = string.Empty;
    public string Version { get; set; } = string.Empty;

    /// <summary>Lower-case hex SHA-512 of the .nupkg.</summary>
    public string Sha512 { get; set; } = string.Empty;

    /// <summary>The feed the manifest names (v2 endpoint or v3 index.json).</summary>
    public string Source { get; set; } = string.Empty;

    /// <summary>"sha256:" + the SHA-256 of the installed &lt;Name&gt;/&lt;Version&gt; tree's canonical listing.</summary>
    public string TreeDigest { get; set; } = string.Empty;

    /// <summary>The modules its .nuspec depends on, as "Name Version" of the pins that satisfied them.</summary>
    public List<string> Dependencies { get; set; } = new();

    /// <summary>The Authenticode verdict on its files when the manifest pins a signer (<see cref="Modules.ModuleSignatureVerdict.Description"/>); null when none was pinned.</summary>
    public string? Signature { get; set; }
}

/// <summary>The lock's <c>modules</c> section: name → version → entry, beside (never inside) <c>tools</c>.</summary>
public sealed partial class InstallLock
{
    private readonly SortedDictionary<string, ModuleLockEntry> _modules = new(StringComparer.Ordinal);

    public IEnumerable<ModuleLockEntry> Modules => _modules.Values;

    private static string ModuleKey(string name, string version) => name.ToLowerInvariant() + "\0" + version;

    public ModuleLockEntry? FindModule(string name, string version) =>
        _modules.TryGetValue(ModuleKey(name, version), out ModuleLockEntry? e) ? e : null;

    public void SetModule(ModuleLockEntry entry)
    {
        if (entry == null) throw new ArgumentNullException(nameof(entry));
        _modules[ModuleKey(entry.Name, entry.Version)] = entry;
    }

    public bool RemoveModule(string name, string version) => _modules.Remove(ModuleKey(name, version));

    private void ReadModules(JsonElement modules)
    {
        foreach (JsonProperty module in modules.EnumerateObject())
        foreach (JsonProperty version in module.Value.EnumerateObject())
        {
            JsonElement e = version.Value;
            string sha512 = e.GetProperty("sha512").GetString() ?? string.Empty;
            if (sha512.Length != 128 || !Checksums.Hex.IsHex(sha512))
                throw new System.IO.InvalidDataException($"modules.{module.Name}.{version.Name}.sha512 is not 128 hex digits.");
            SetModule(new ModuleLockEntry
            {
                Name = module.Name,
                Version = version.Name,
                Sha512 = sha512.ToLowerInvariant(),
                Source = e.GetProperty("source").GetString() ?? string.Empty,
                TreeDigest = e.GetProperty("treeDigest").GetString() ?? string.Empty,
                Dependencies = e.TryGetProperty("dependencies", out JsonElement d) ? d.EnumerateArray().Select(x => x.GetString() ?? string.Empty).ToList() : new List<string>(),
                Signature = e.TryGetProperty("signature", out JsonElement sig) ? sig.GetString() : null,
            });
        }
    }

    private void WriteModules(Utf8JsonWriter w)
    {
        if (_modules.Count == 0) return;
        w.WriteStartObject("modules");
        foreach (IGrouping<string, ModuleLockEntry> module in _modules.Values.GroupBy(e => e.Name, StringComparer.OrdinalIgnoreCase).OrderBy(g => g.Key, StringComparer.OrdinalIgnoreCase))
        {
            w.WriteStartObject(module.First().Name);
            foreach (ModuleLockEntry e in module.OrderBy(e => e.Version, StringComparer.Ordinal))
            {
                w.WriteStartObject(e.Version);
                w.WriteString("sha512", e.Sha512);
                w.WriteString("source", e.Source);
                w.WriteString("treeDigest", e.TreeDigest);
                w.WriteStartArray("dependencies");
                foreach (string d in e.Dependencies) w.WriteStringValue(d);
                w.WriteEndArray();
                if (e.Signature != null) w.WriteString("signature", e.Signature);
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }
}
