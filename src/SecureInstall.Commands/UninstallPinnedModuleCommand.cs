using System.Management.Automation;
using SecureInstall.Core.Install;
using SecureInstall.Core.Modules;

namespace SecureInstall.Commands;

/// <summary>Uninstall-PinnedModule: removes installed pinned module versions and their lock entries, as Uninstall-PinnedTool does for tools.</summary>
[Cmdlet(VerbsLifecycle.Uninstall, "PinnedModule", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(void))]
public sealed class UninstallPinnedModuleCommand : ModulePathCmdlet
{
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <summary>The version to remove; every version the lock records of the module when omitted.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? Version { get; set; }

    /// <summary>Remove a version folder even when its tree is no longer the one the lock records.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    private readonly List<ModuleLockEntry> _chosen = new();
    private string _modulePath = string.Empty;

    protected override void BeginProcessing()
    {
        ResolveManifestPath();
        _modulePath = ResolveModulePath();
    }

    protected override void ProcessRecord()
    {
        // Read per record, as Uninstall-PinnedTool does: an install earlier in the pipeline writes the lock after this began.
        InstallLock lockFile = LoadLock();
        var notRecorded = new List<ModuleException>();
        IReadOnlyList<ModuleLockEntry> entries = InstalledModuleVerifier.Select(lockFile, LockPath, Name, notRecorded, Version);
        foreach (ModuleException missing in notRecorded) WriteError(Errors.From(missing, missing.Module));
        foreach (ModuleLockEntry entry in entries.Where(e => !_chosen.Any(c => string.Equals(c.Name, e.Name, StringComparison.OrdinalIgnoreCase) && c.Version == e.Version)))
        {
            string target;
            try
            {
                // Only <module path>/<Name>/<Version> is ever removed, derived from the (checked) names.
                target = ModulePaths.VersionDirectory(_modulePath, entry.Name, PackageVersion.TryParse(entry.Version)
                    ?? throw new LockFormatException(LockPath, new InvalidDataException($"modules.{entry.Name}: '{entry.Version}' is not a package version.")));
            }
            catch (Core.SecureInstallException ex)
            {
                WriteError(Errors.From(ex, entry.Name));
                continue;
            }
            if (ShouldProcess(target, $"Uninstall {entry.Name} {entry.Version}{(Force ? " (even if changed since its install)" : "")}")) _chosen.Add(entry);
        }
    }

    protected override void EndProcessing()
    {
        if (_chosen.Count == 0) return;
        try
        {
            // One request: every version is checked (its tree, its dependents) before any is removed.
            foreach (ModuleUninstallResult removed in ModuleUninstaller.Uninstall(
                new ModuleInstallerOptions { ModulePath = _modulePath, LockRoot = ToolInstallerOptions.DefaultRoot(Scope), Force = Force }, _chosen, LockPath, WriteVerbose, CancelToken))
            {
                if (removed.Status == InstalledState.Tampered)
                    WriteWarning($"{removed.Name} {removed.Version}: removed '{removed.Path}' although it was not the tree the lock records ({removed.Diff}).");
                WriteVerbose($"Removed {removed.Name} {removed.Version}{(removed.Status == InstalledState.Missing ? "'s lock entry (its folder was already gone)" : $" from {removed.Path} and its lock entry")}.");
            }
        }
        catch (Exception ex) when (ex is Core.SecureInstallException or IOException or UnauthorizedAccessException)
        {
            WriteError(Errors.From(ex, ex is ModuleException m ? m.Module : LockPath));
        }
    }
}
