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
        var notRecorded = new List<ModuleException>();
        IReadOnlyList<ModuleLockEntry> entries = InstalledModuleVerifier.Select(lockFile, LockPath, Names, notRecorded);
        foreach (ModuleException missing in notRecorded) WriteError(Errors.From(missing, missing.Module));

        IReadOnlyDictionary<string, Core.Signatures.Authenticode.AuthenticodeRequirement> signers = ModuleSignatures.RequirementsForRecheck(ManifestPath, WriteVerbose);
        string modulePath = ResolveModulePath();
        string[] searched = ModulePaths.Searched();
        foreach (ModuleLockEntry entry in entries)
        {
            InstalledModuleStatus status;
            try
            {
                WriteVerbose($"Re-hashing {entry.Name} {entry.Version} under {modulePath}; the lock expects {entry.TreeDigest}. Searching PSModulePath ({searched.Length} folders) for copies that shadow it.");
                var loaded = InvokeCommand.InvokeScript("param($n) Get-Module -Name $n", true, System.Management.Automation.Runspaces.PipelineResultTypes.None, null, entry.Name)
                    .Select(o => o.BaseObject).OfType<PSModuleInfo>().Select(m => m.ModuleBase).ToList();
                signers.TryGetValue(entry.Name, out Core.Signatures.Authenticode.AuthenticodeRequirement? signer);
                if (signer != null && entry.Signature != null) WriteVerbose($"Re-verifying {entry.Name} {entry.Version}'s files: {signer.Describe(null)} (the lock recorded: {entry.Signature}).");
                status = InstalledModuleVerifier.Verify(modulePath, entry, searched, loaded, signer, CancelToken);
            }
            catch (Exception ex) when (ex is Core.SecureInstallException or IOException or UnauthorizedAccessException)
            {
                WriteError(Errors.From(ex, entry.Name));
                continue;
            }
            foreach (ModuleException failure in InstalledModuleVerifier.Failures(status, "Install-PinnedModule", "Install-PinnedModule -Force"))
                WriteError(Errors.From(failure, failure.Target));
            WriteObject(status);
        }
    }
}
