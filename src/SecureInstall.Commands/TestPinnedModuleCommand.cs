using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using SecureInstall.Core.Install;
using SecureInstall.Core.Modules;

namespace SecureInstall.Commands;

/// <summary>Test-PinnedModule: re-verifies installed pinned modules against the lock, and reports copies that shadow them.</summary>
[Cmdlet(VerbsDiagnostic.Test, "PinnedModule")]
[OutputType(typeof(InstalledModuleStatus))]
public sealed class TestPinnedModuleCommand : PinnedModuleCmdlet
{

    protected override void EndProcessing()
    {
        // Only the lock matters here: a tampered manifest must not stop the check.
        ResolveManifestPath();
        InstallLock lockFile = LoadLock();
        List<ModuleLockEntry> entries = lockFile.Modules.Where(e => Names.Count == 0 || Names.Contains(e.Name, StringComparer.OrdinalIgnoreCase)).ToList();
        foreach (string missing in Names.Where(n => !lockFile.Modules.Any(e => string.Equals(e.Name, n, StringComparison.OrdinalIgnoreCase))))
            WriteError(Errors.From(new ModuleException(Core.ErrorIds.NotInstalled, Core.FailureKind.NotFound, missing, $"the lock {LockPath} records no module '{missing}'."), missing));

        string modulePath = ResolveModulePath();
        string[] searched = (Environment.GetEnvironmentVariable("PSModulePath") ?? string.Empty).Split(new[] { Path.PathSeparator }, StringSplitOptions.RemoveEmptyEntries);
        foreach (ModuleLockEntry entry in entries)
        {
            InstalledModuleStatus status;
            try
            {
                WriteVerbose($"Re-hashing {entry.Name} {entry.Version} under {modulePath}; the lock expects {entry.TreeDigest}. Searching PSModulePath ({searched.Length} folders) for copies that shadow it.");
                var loaded = InvokeCommand.InvokeScript("param($n) Get-Module -Name $n", true, System.Management.Automation.Runspaces.PipelineResultTypes.None, null, entry.Name)
                    .Select(o => o.BaseObject).OfType<PSModuleInfo>().Select(m => m.ModuleBase).ToList();
                status = InstalledModuleVerifier.Verify(modulePath, entry, searched, loaded, CancelToken);
            }
            catch (Exception ex) when (ex is Core.SecureInstallException or IOException or UnauthorizedAccessException)
            {
                WriteError(Errors.From(ex, entry.Name));
                continue;
            }
            if (status.Status == InstalledState.Missing)
                WriteError(Errors.From(new ModuleException(Core.ErrorIds.NotInstalled, Core.FailureKind.NotFound, status.Path, $"{entry.Name} {entry.Version} is recorded in the lock but not installed at {status.Path}. Install it with Install-PinnedModule."), status.Path));
            else if (status.Status == InstalledState.Tampered)
                WriteError(Errors.From(new ModuleException(Core.ErrorIds.InstalledTreeTampered, Core.FailureKind.Security, status.Path,
                    $"{entry.Name} {entry.Version} at '{status.Path}' was changed after it was installed and verified ({status.Diff}). Reinstall it with Install-PinnedModule -Force, and find out what changed it."), status.Path));
            if (status.ShadowedBy.Count > 0)
                WriteError(Errors.From(new ModuleException(Core.ErrorIds.ModuleShadowed, Core.FailureKind.Security, entry.Name,
                    $"Import-Module {entry.Name} would not load the pinned {entry.Name} {entry.Version} at {status.Path}: {string.Join("; ", status.ShadowedBy)} comes first. " +
                    $"Remove it, or import with -RequiredVersion {entry.Version}."), entry.Name));
            WriteObject(status);
        }
    }
}
