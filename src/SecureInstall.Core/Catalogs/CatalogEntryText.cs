using SecureInstall.Core.Catalogs.Aqua;
using SecureInstall.Core.Manifests;

namespace SecureInstall.Core.Catalogs;

/// <summary>
/// Writes a resolved, pinned catalog package as a native manifest tool block (keys at column 0, two-space steps): a comment
/// naming the catalog, the definition and its commit, what was not carried, then <c>catalog:</c>, the signature policy,
/// and one artifact per platform with its url, digest (and the digest's source as a comment), archive and bin.
/// </summary>
public static class CatalogEntryText
{
    public static string Render(CatalogResolution resolution, IReadOnlyList<CatalogPin> pins, IReadOnlyDictionary<string, string>? signature, IReadOnlyList<string> notCarried)
    {
        var b = new StringBuilder();
        b.Append(Quote(resolution.ToolName)).Append(":\n");
        b.Append($"  # added {DateTime.UtcNow:yyyy-MM-dd} by SecureInstall from the {resolution.Catalog} definition {resolution.DefinitionSource}")
            .Append($" ({resolution.Package}, {(resolution.DefinitionCommit != null ? "commit " + resolution.DefinitionCommit : "commit unknown")})\n");
        foreach (string skipped in resolution.Skipped.Select(s => s.Key + ": " + s.Value)) b.Append("  # no entry for ").Append(OneLine(skipped)).Append('\n');
        foreach (string note in notCarried.Distinct()) b.Append("  # not carried: ").Append(OneLine(note)).Append('\n');
        b.Append("  catalog: ").Append(Quote(resolution.Catalog + " " + resolution.Package)).Append('\n');
        if (signature != null)
        {
            b.Append("  signature:\n");
            foreach (var kv in signature) b.Append("    ").Append(kv.Key).Append(": ").Append(Quote(kv.Value)).Append('\n');
        }
        b.Append("  versions:\n");
        foreach (string line in RenderVersion(resolution, pins).TrimEnd('\n').Split('\n')) b.Append("    ").Append(line).Append('\n');
        return b.ToString();
    }

    /// <summary>One version's block (the version key at column 0): what Update-PinnedToolManifest adds to an entry from a catalog.</summary>
    public static string RenderVersion(CatalogResolution resolution, IReadOnlyList<CatalogPin> pins)
    {
        var b = new StringBuilder();
        b.Append(Quote(resolution.Version)).Append(":\n");
        b.Append("  artifacts:\n");
        foreach (CatalogPin pin in pins)
        {
            b.Append("    ").Append(pin.Platform).Append(":\n");
            b.Append("      # ").Append(OneLine(pin.DigestSource)).Append('\n');
            if (pin.Artifact.InstallerNote != null) b.Append("      # ").Append(OneLine(pin.Artifact.InstallerNote)).Append('\n');
            b.Append("      url: ").Append(Quote(pin.Url.AbsoluteUri)).Append('\n');
            if (pin.Sha256 != null) b.Append("      sha256: ").Append(pin.Sha256).Append('\n');
            if (pin.Integrity != null) b.Append("      integrity: ").Append(Quote(pin.Integrity)).Append('\n');
            if (pin.Waiver != null) b.Append("      trusted_on_first_use: ").Append(Quote(pin.Waiver)).Append('\n');
            if (pin.Size != null) b.Append("      size: ").Append(pin.Size.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append('\n');
            b.Append("      archive: ").Append(ArchiveName(pin.Artifact.Kind)).Append('\n');
            if (pin.Artifact.Installer is { } installer) RenderInstaller(b, installer);
            if (pin.Artifact.Executables.Count > 0)
            {
                b.Append("      bin:\n");
                foreach (string exe in pin.Artifact.Executables) b.Append("        - ").Append(Quote(exe)).Append('\n');
            }
        }
        return b.ToString();
    }

    /// <summary>The artifact's installer: block (ManifestReader.Installer reads it back).</summary>
    private static void RenderInstaller(StringBuilder b, Manifests.PinnedInstaller installer)
    {
        b.Append("      installer:\n");
        b.Append("        type: ").Append(installer.Type).Append('\n');
        if (installer.Silent != null) b.Append("        silent: ").Append(Quote(installer.Silent)).Append('\n');
        if (installer.Custom != null) b.Append("        custom: ").Append(Quote(installer.Custom)).Append('\n');
        if (installer.Scope != null) b.Append("        scope: ").Append(installer.Scope).Append('\n');
        if (installer.Elevated && installer.Scope != "machine") b.Append("        elevated: true\n");
        if (installer.SuccessCodes.Count > 0)
            b.Append("        success_codes: [").Append(string.Join(", ", installer.SuccessCodes.Select(c => c.ToString(System.Globalization.CultureInfo.InvariantCulture)))).Append("]\n");
        if (installer.ReturnCodes.Count > 0)
        {
            b.Append("        return_codes:\n");
            foreach (var kv in installer.ReturnCodes.OrderBy(kv => kv.Key))
                b.Append("          ").Append(kv.Key.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append(": ").Append(Quote(kv.Value)).Append('\n');
        }
    }

    private static string ArchiveName(ArtifactKind kind) => kind switch
    {
        ArtifactKind.Binary => "binary",
        ArtifactKind.Zip => "zip",
        ArtifactKind.Tar => "tar",
        ArtifactKind.TarGz => "tar.gz",
        ArtifactKind.TarXz => "tar.xz",
        ArtifactKind.TarBz2 => "tar.bz2",
        ArtifactKind.TarZst => "tar.zst",
        _ => "auto",
    };

    /// <summary>A YAML double-quoted scalar: definitions are hostile text, so nothing in them can end the string or the line.</summary>
    internal static string Quote(string value)
    {
        var b = new StringBuilder("\"");
        foreach (char c in value)
        {
            if (c == '"' || c == '\\') b.Append('\\').Append(c);
            else if (char.IsControl(c) || c == '\u2028' || c == '\u2029' || c == '\u0085') b.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
            else b.Append(c);
        }
        return b.Append('"').ToString();
    }

    private static string OneLine(string text) =>
        new string(text.Select(c => char.IsControl(c) || c == '\u2028' || c == '\u2029' || c == '\u0085' ? ' ' : c).ToArray());
}
