using SecureInstall.Core.IO;
using SecureInstall.Core.Manifests;

namespace SecureInstall.Core.Modules;

/// <summary>What an extracted package must say about itself (its .nuspec, its .psd1, its RequiredModules) before it is installed or pinned, and what of it is packaging, not module.</summary>
public sealed partial class ModuleInstaller
{
    /// <summary>
    /// What an extracted package must be to be <paramref name="module"/> at <paramref name="version"/>: its .nuspec names
    /// them, its &lt;Name&gt;.psd1 declares the version, and every module its RequiredModules names is a .nuspec dependency
    /// (so held to a pin); returns the .nuspec. Install-PinnedModule and Update-PinnedModuleManifest both hold a package to it.
    /// </summary>
    /// <param name="outcome">What the failure left undone, for the message ("nothing was installed").</param>
    /// <param name="external">The modules its PSData.ExternalModuleDependencies names (outside any feed, so never pinned: Publish-Module leaves them out of the .nuspec).</param>
    internal static NuSpec CheckPackage(PinnedModule module, string staging, PackageVersion version, string outcome, out IReadOnlyList<string> external)
    {
        NuSpec spec = ReadNuSpec(module, staging, version, outcome);
        external = CheckModuleManifest(module, version, staging, spec, outcome);
        return spec;
    }

    /// <summary>The one .nuspec at the root of an extracted package, which must name <paramref name="module"/> at <paramref name="version"/>.</summary>
    /// <param name="outcome">What the failure left undone, for the message ("nothing was installed").</param>
    private static NuSpec ReadNuSpec(PinnedModule module, string staging, PackageVersion version, string outcome)
    {
        NuSpec spec = ReadNuSpec(module, staging);
        if (!string.Equals(spec.Id, module.Name, StringComparison.OrdinalIgnoreCase) || PackageVersion.TryParse(spec.Version) is not { } specVersion || !specVersion.SameAs(version))
            throw new ModuleException(ErrorIds.ModuleIdentityMismatch, FailureKind.Security, module.Name,
                $"the package served for {module.Name} {module.Version} is {spec.Id} {spec.Version} by its .nuspec; {outcome}.");
        return spec;
    }

    private static NuSpec ReadNuSpec(PinnedModule module, string staging)
    {
        string[] specs = Directory.GetFiles(staging, "*.nuspec", SearchOption.TopDirectoryOnly);
        if (specs.Length != 1)
            throw new ModuleException(ErrorIds.ModulePackageInvalid, FailureKind.InvalidData, module.Name,
                $"the package for {module.Name} {module.Version} holds {specs.Length} .nuspec files at its root, not one: it is not a NuGet package.");
        try
        {
            using Stream stream = new MemoryStream(RegularFile.ReadAll(specs[0], NuSpec.MaximumBytes));
            return NuSpec.Read(stream, Path.GetFileName(specs[0]));
        }
        catch (Exception ex) when (ex is FormatException or IOException)
        {
            throw new ModuleException(ErrorIds.ModulePackageInvalid, FailureKind.InvalidData, module.Name, $"{module.Name} {module.Version}: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// The module manifest &lt;Name&gt;.psd1 at the package root, read as data (<see cref="PowerShellDataFile"/>), must give the
    /// pinned version as ModuleVersion (and PrivateData.PSData.Prerelease for a prerelease): the name is the file's, as
    /// PowerShell requires. Each module its RequiredModules names must be a .nuspec dependency: Import-Module loads a required
    /// module from wherever PSModulePath finds it, so one the .nuspec keeps quiet about would escape the pins. The one
    /// exception is a module the package itself declares external (PSData.ExternalModuleDependencies: ActiveDirectory and
    /// the like, on no feed); those are returned, so the install names them.
    /// </summary>
    private static IReadOnlyList<string> CheckModuleManifest(PinnedModule module, PackageVersion version, string staging, NuSpec spec, string outcome)
    {
        string? psd1 = Directory.GetFiles(staging, "*.psd1", SearchOption.TopDirectoryOnly)
            .FirstOrDefault(f => string.Equals(Path.GetFileName(f), module.Name + ".psd1", StringComparison.OrdinalIgnoreCase));
        if (psd1 == null)
            throw new ModuleException(ErrorIds.ModulePackageInvalid, FailureKind.InvalidData, module.Name,
                $"the package for {module.Name} {module.Version} holds no module manifest {module.Name}.psd1 at its root: it is not the PowerShell module {module.Name}.");
        IDictionary<string, object?> data;
        try
        {
            data = PowerShellDataFile.ReadFile(psd1);
        }
        catch (Exception ex) when (ex is FormatException or IOException)
        {
            throw new ModuleException(ErrorIds.ModulePackageInvalid, FailureKind.InvalidData, module.Name, $"{module.Name} {module.Version}: {ex.Message}", ex);
        }
        string? moduleVersion = data.TryGetValue("ModuleVersion", out object? mv) ? mv as string : null;
        IDictionary<string, object?>? psData = data.TryGetValue("PrivateData", out object? pd) && pd is IDictionary<string, object?> privateData
            && privateData.TryGetValue("PSData", out object? ps) && ps is IDictionary<string, object?> d ? d : null;
        string prerelease = psData != null && psData.TryGetValue("Prerelease", out object? pr) && pr is string label ? label : string.Empty;
        PackageVersion? declared = PackageVersion.TryParse(moduleVersion + (prerelease.Length > 0 ? "-" + prerelease : string.Empty));
        if (declared == null || !declared.SameAs(version))
            throw new ModuleException(ErrorIds.ModuleIdentityMismatch, FailureKind.Security, module.Name,
                $"{module.Name}.psd1 in the package pinned as {module.Name} {module.Version} declares ModuleVersion '{moduleVersion}'{(prerelease.Length > 0 ? $" Prerelease '{prerelease}'" : "")}: " +
                $"the package is not the pinned module. {Capitalised(outcome)}.");
        List<string> external = RequiredModuleNames(psData != null && psData.TryGetValue("ExternalModuleDependencies", out object? ext) ? ext : null).ToList();
        List<string> undeclared = RequiredModuleNames(data.TryGetValue("RequiredModules", out object? required) ? required : null)
            .Where(n => !spec.Dependencies.Any(d => string.Equals(d.Id, n, StringComparison.OrdinalIgnoreCase)) && !external.Contains(n, StringComparer.OrdinalIgnoreCase))
            .Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (undeclared.Count > 0)
            throw new ModuleException(ErrorIds.ModuleDependencyNotPinned, FailureKind.InvalidData, module.Name,
                $"{module.Name}.psd1 in the package pinned as {module.Name} {module.Version}: its RequiredModules names {string.Join(", ", undeclared)}, which its .nuspec does not declare " +
                $"({(spec.Dependencies.Count == 0 ? "it declares no dependency" : "it declares " + string.Join(", ", spec.Dependencies.Select(d => d.Id)))}). " +
                $"Import-Module would load {(undeclared.Count == 1 ? "it" : "them")} from wherever PSModulePath finds {(undeclared.Count == 1 ? "it" : "them")}, unpinned. {Capitalised(outcome)}.");
        return external;
    }

    /// <summary>The module names of a RequiredModules (or ExternalModuleDependencies) value: 'Name' strings and @{ ModuleName = 'Name'; … } specifications.</summary>
    private static IEnumerable<string> RequiredModuleNames(object? value)
    {
        foreach (object? item in value is object?[] several ? several : new[] { value })
        {
            if (item is string name && name.Trim().Length > 0) yield return name.Trim();
            else if (item is IDictionary<string, object?> spec && spec.TryGetValue("ModuleName", out object? n) && n is string specName && specName.Trim().Length > 0) yield return specName.Trim();
        }
    }

    /// <summary>What PSResourceGet deletes after extracting a module (Utils.DeleteExtraneousFiles): the NuGet packaging parts and the .nuspec.</summary>
    private static void RemovePackagingParts(string staging, string id)
    {
        foreach (string file in new[] { "[Content_Types].xml", id + ".nuspec" })
        {
            foreach (string match in Directory.GetFiles(staging, "*", SearchOption.TopDirectoryOnly).Where(f => string.Equals(Path.GetFileName(f), file, StringComparison.OrdinalIgnoreCase)))
                File.Delete(match);
        }
        foreach (string folder in new[] { "_rels", "package" })
        {
            string path = Path.Combine(staging, folder);
            if (UnixFileSystem.TryGetEntry(path, out FileStatus entry) && entry.Kind == UnixEntryKind.Directory) Directory.Delete(path, recursive: true);
        }
    }
}
