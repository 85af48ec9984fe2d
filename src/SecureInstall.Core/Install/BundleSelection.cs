using SecureInstall.Core.Manifests;
using SecureInstall.Core.Modules;

namespace SecureInstall.Core.Install;

/// <summary>
/// What Save-PinnedTool and <c>secureinstall push</c> carry, to a bundle folder (an OCI image layout too) or a registry: the
/// chosen tools' pinned artifacts and the manifest's pinned modules. The pushed artifact holds the manifest itself, so by
/// default it holds everything that manifest pins: a fleet machine told <c>-RegistryOnly</c> finds its modules there as it
/// finds its tools. Modules have no platform, so <c>-Platform</c> narrows the tools only. Names choose: a name the manifest
/// pins as a module picks that module (its pinned dependencies come along), any other picks a tool; naming only tools
/// leaves the modules out, naming only modules leaves the tools out.
/// </summary>
public sealed class BundleSelection
{
    private BundleSelection(PinnedManifest manifest, IReadOnlyList<ResolvedArtifact> artifacts, IReadOnlyList<PinnedModule> modules)
    {
        Manifest = manifest;
        Artifacts = artifacts;
        Modules = modules;
    }

    public PinnedManifest Manifest { get; }

    /// <summary>The tools' artifacts, as <see cref="PinnedArtifactResolver.Select"/> chose them.</summary>
    public IReadOnlyList<ResolvedArtifact> Artifacts { get; }

    /// <summary>The modules chosen; the bundle adds the pinned modules they depend on.</summary>
    public IReadOnlyList<PinnedModule> Modules { get; }

    /// <summary>The tools' artifacts only (what a push carried before modules travelled too).</summary>
    public static BundleSelection ToolsOnly(PinnedManifest manifest, IReadOnlyList<ResolvedArtifact> artifacts) =>
        new(manifest ?? throw new ArgumentNullException(nameof(manifest)), artifacts ?? throw new ArgumentNullException(nameof(artifacts)), Array.Empty<PinnedModule>());

    /// <summary>
    /// Every tool (for <paramref name="platforms"/>; all when empty) and every module when <paramref name="names"/> is empty;
    /// else the tools and modules named. <paramref name="version"/> chooses the tools' version.
    /// </summary>
    /// <exception cref="SecureInstallException">a name the manifest pins as neither, an unpinned module, or what the tool resolver refuses.</exception>
    public static BundleSelection Of(PinnedManifest manifest, IReadOnlyCollection<string> names, string? version, IReadOnlyCollection<string> platforms)
    {
        if (manifest == null) throw new ArgumentNullException(nameof(manifest));
        if (names == null) throw new ArgumentNullException(nameof(names));
        if (names.Count == 0)
        {
            return new BundleSelection(manifest, PinnedArtifactResolver.Select(manifest, names, version, platforms), ModuleInstaller.Select(manifest, null));
        }
        // A name is a module's only when no tool has it: a tool keeps the name it always had on this command.
        var moduleNames = names.Where(n => manifest.Find(n) == null && manifest.FindModule(n) != null).ToList();
        var toolNames = names.Except(moduleNames, StringComparer.OrdinalIgnoreCase).ToList();
        if (manifest.Modules.Count > 0 && toolNames.FirstOrDefault(n => manifest.Find(n) == null) is { } unknown)
            throw new InstallException(ErrorIds.ToolNotInManifest, FailureKind.NotFound, unknown,
                $"{manifest.Source} pins no tool or module named '{unknown}' (it pins the tools {string.Join(", ", manifest.Tools.Select(t => t.Name))}; the modules {string.Join(", ", manifest.Modules.Select(m => m.Name))}).");
        IReadOnlyList<ResolvedArtifact> artifacts = toolNames.Count == 0 ? Array.Empty<ResolvedArtifact>() : PinnedArtifactResolver.Select(manifest, toolNames, version, platforms);
        IReadOnlyList<PinnedModule> modules = moduleNames.Count == 0 ? Array.Empty<PinnedModule>() : ModuleInstaller.Select(manifest, moduleNames);
        return new BundleSelection(manifest, artifacts, modules);
    }

    /// <summary>"tool 1.0 (linux-x64), …; modules A 1.2, …" for -WhatIf and the confirmation prompt.</summary>
    public string Describe()
    {
        var parts = new List<string>();
        if (Artifacts.Count > 0) parts.Add(string.Join(", ", Artifacts.Select(s => $"{s.Tool.Name} {s.Version.Version} ({s.Artifact.Platform})")));
        if (Modules.Count > 0) parts.Add("the modules " + string.Join(", ", Modules.Select(m => $"{m.Name} {m.Version}")) + " (and the pinned modules they depend on)");
        return parts.Count == 0 ? "nothing but the manifest" : string.Join("; ", parts);
    }
}
