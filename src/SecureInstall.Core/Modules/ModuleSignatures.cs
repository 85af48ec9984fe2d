using SecureInstall.Core.Install;
using SecureInstall.Core.Manifests;
using SecureInstall.Core.Signatures;
using SecureInstall.Core.Signatures.Authenticode;

namespace SecureInstall.Core.Modules;

/// <summary>What a module's Authenticode check found: the lock's line, and the catalog files it did not check.</summary>
public sealed class ModuleSignatureVerdict
{
    internal ModuleSignatureVerdict(string description, IReadOnlyList<string> files, IReadOnlyList<string> catalogs)
    {
        Description = description;
        Files = files;
        Catalogs = catalogs;
    }

    /// <summary>"Authenticode signature by thumbprint … ('CN=…') on 3 files", as the lock records it (machine-independent).</summary>
    public string Description { get; }

    /// <summary>The module's files that carry a signature and were checked, relative to its version folder.</summary>
    public IReadOnlyList<string> Files { get; }

    /// <summary>
    /// Catalog files (.cat, New-FileCatalog's, which PSResourceGet's -AuthenticodeCheck reads) found in the module: named,
    /// not relied on. Every signable file must carry its own signature by the pinned signer whether or not a catalog lists it.
    /// </summary>
    public IReadOnlyList<string> Catalogs { get; }
}

/// <summary>
/// A pinned module's <c>signature:</c> (issue 22): every file of the module that can carry an Authenticode signature —
/// the script forms (.ps1, .psm1, .psd1, .ps1xml) and PE files (.dll, .exe, or anything starting "MZ") — must be signed
/// by the pinned signer, checked in managed code on every OS (<see cref="AuthenticodeRequirement"/>, as for a tool). The
/// block is a signer thumbprint or subject, or the tool form:
/// <code>
/// signature: 0123…4567                  # the signer certificate's SHA-1 thumbprint, or "CN=Contoso, O=Contoso"
/// signature: { thumbprint: 0123…4567, subject: "CN=…", root: contoso-root.cer }
/// </code>
/// </summary>
public static class ModuleSignatures
{
    private static readonly string[] PeExtensions = { ".dll", ".exe" };

    /// <summary>The requirement the module pins; null when it pins none.</summary>
    /// <exception cref="SignatureFormatException">the block pins no signer.</exception>
    public static AuthenticodeRequirement? RequirementOf(PinnedModule module)
    {
        if (module == null) throw new ArgumentNullException(nameof(module));
        return module.SignaturePolicy == null ? null : AuthenticodeRequirement.FromPolicy(module.SignaturePolicy, "module " + module.Name);
    }

    /// <summary>
    /// For a re-check (Test-PinnedModule, test-module), which stand on the lock: the manifest's signer pin for each module,
    /// read best-effort. A manifest that cannot be read (or a pin that cannot be built) skips the signature re-check, said
    /// through <paramref name="log"/>; the tree digest check still runs, and a tampered manifest must not stop it.
    /// </summary>
    public static IReadOnlyDictionary<string, AuthenticodeRequirement> RequirementsForRecheck(string manifestPath, Action<string> log)
    {
        if (log == null) throw new ArgumentNullException(nameof(log));
        var pins = new Dictionary<string, AuthenticodeRequirement>(StringComparer.OrdinalIgnoreCase);
        try
        {
            foreach (PinnedModule module in new ManifestReader().ReadFile(manifestPath).Modules)
            {
                if (RequirementOf(module) is { } requirement) pins[module.Name] = requirement;
            }
        }
        catch (Exception ex) when (ex is SecureInstallException or IOException or UnauthorizedAccessException)
        {
            log($"Module signatures are not re-checked: the manifest {manifestPath} cannot be read ({ex.Message}).");
        }
        return pins;
    }

    /// <summary>Checks every signable file under <paramref name="directory"/>; throws the first failure, naming the file as <paramref name="shownAs"/>/relative path.</summary>
    public static ModuleSignatureVerdict Verify(AuthenticodeRequirement requirement, string directory, string shownAs, CancellationToken cancellationToken)
    {
        if (requirement == null) throw new ArgumentNullException(nameof(requirement));
        var files = new List<string>();
        var catalogs = new List<string>();
        foreach (string file in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).OrderBy(f => f, StringComparer.Ordinal))
        {
            string relative = file.Substring(directory.Length).TrimStart(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar).Replace('\\', '/');
            if (string.Equals(Path.GetExtension(file), ".cat", StringComparison.OrdinalIgnoreCase)) catalogs.Add(relative);
            else if (PeExtensions.Contains(Path.GetExtension(file), StringComparer.OrdinalIgnoreCase) || ManagedAuthenticode.Handles(file)) files.Add(relative);
        }
        IReadOnlyList<SignatureResult> results = requirement.Verify(files.Select(f => (Path.Combine(directory, f), shownAs + "/" + f)), cancellationToken);
        string description = requirement.Describe(results, withChecks: false) + $" on {files.Count} file{(files.Count == 1 ? "" : "s")}"
            + (catalogs.Count > 0 ? $"; catalog {string.Join(", ", catalogs)} not relied on" : "");
        return new ModuleSignatureVerdict(description, files, catalogs);
    }
}
