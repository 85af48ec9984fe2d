using System.Management.Automation;
using SecureInstall.Core.Install;

namespace SecureInstall.Commands;

/// <summary>Test-PinnedTool: re-hashes installed trees and reports any file changed, added or removed since the install.</summary>
[Cmdlet(VerbsDiagnostic.Test, "PinnedTool")]
[OutputType(typeof(InstalledToolStatus), typeof(bool))]
public sealed class TestPinnedToolCommand : PinnedToolCmdlet
{
    private readonly List<string> _names = new();

    /// <summary>Tools to check; every tool the lock records when omitted.</summary>
    [Parameter(Position = 1, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <summary>Return one $true or $false instead of status objects and errors.</summary>
    [Parameter]
    public SwitchParameter Quiet { get; set; }

    /// <summary>Which install root to look in: CurrentUser (default) or AllUsers, as Install-PinnedTool -Scope; AllUsers also checks that only administrators can change the root.</summary>
    [Parameter]
    public InstallScope Scope { get => (InstallScope)_scope; set => _scope = value; }

    // Boxed, as every SecureInstall.Core value type in a field here must be (see InstallPinnedToolCommand).
    private object _scope = InstallScope.CurrentUser;

    protected override void ProcessRecord() => _names.AddRange(Name);

    protected override void EndProcessing()
    {
        // Only where the lock is matters here: a tampered manifest must not stop the check.
        ResolveManifestPath();
        InstallLock lockFile = LoadLock();
        List<LockEntry> entries = lockFile.Entries
            .Where(e => _names.Count == 0 || _names.Contains(e.Tool, StringComparer.OrdinalIgnoreCase)).ToList();
        foreach (string missing in _names.Where(n => !lockFile.Entries.Any(e => string.Equals(e.Tool, n, StringComparison.OrdinalIgnoreCase))))
        {
            WriteError(Errors.From(new InstallException(Core.ErrorIds.NotInstalled, Core.FailureKind.NotFound, missing, $"the lock {LockPath} records no install of '{missing}'."), missing));
        }

        bool allGood = entries.Count > 0;
        string root = ToolInstallerOptions.DefaultRoot(Scope);
        // All users: the root itself must be admin-only, or what verifies now can be swapped by a user afterwards.
        if (Scope == InstallScope.AllUsers && MachineRoot.Check(root) is { } untrusted)
        {
            allGood = false;
            if (!Quiet) WriteError(Errors.From(untrusted, untrusted.Tool));
        }
        foreach (LockEntry entry in entries)
        {
            InstalledToolStatus status;
            try
            {
                WriteVerbose($"Re-hashing {entry.Tool} {entry.Version} under {root}; the lock expects {entry.TreeDigest}.");
                foreach (string waiver in entry.Waivers) WriteVerbose($"{entry.Tool} {entry.Version} was installed under a waiver: {waiver}");
                status = InstalledToolVerifier.Verify(root, entry, CancelToken);
            }
            catch (Exception ex) when (ex is Core.SecureInstallException or System.IO.IOException or UnauthorizedAccessException)
            {
                allGood = false;
                if (!Quiet) WriteError(Errors.From(ex, entry.Tool));
                continue;
            }
            bool treeDiffers = status.Changed.Count + status.Added.Count + status.Removed.Count > 0;
            // What the lock says this check does not cover (an installer's own changes to the machine) is said with the verdict.
            if (!Quiet)
            {
                foreach (string waiver in status.Waivers.Where(w => w.StartsWith(Core.Manifests.PinnedInstaller.WaiverRule, StringComparison.Ordinal)))
                    WriteWarning($"{entry.Tool} {entry.Version}: {waiver}");
            }
            try
            {
                Core.Signatures.SignatureResult? signature = InstalledToolVerifier.VerifyRecordedSignature(entry, CancelToken);
                if (signature != null)
                {
                    status.Signature = $"{signature.Scheme}: {signature.Signer ?? signature.KeyId}";
                    WriteVerbose($"{entry.Tool} {entry.Version}: the Sigstore bundle kept in the lock still verifies sha256 {entry.Sha256} ({status.Signature}).");
                }
            }
            catch (Core.SecureInstallException ex)
            {
                allGood = false;
                status.Status = InstalledState.Tampered;
                if (!Quiet) WriteError(Errors.From(ex, entry.Tool));
            }
            if (status.RecordedPath != null)
            {
                allGood = false;
                if (!Quiet) WriteError(Errors.From(new LockPathMismatchException(entry.Tool, entry.Version, status.RecordedPath, status.Path!,
                    "Only the derived path was checked. If it was installed for all users, check with -Scope AllUsers; else reinstall with Install-PinnedTool (it records the path where the tree verifies), or restore the lock."), status.RecordedPath));
            }
            if (treeDiffers)
            {
                allGood = false;
                if (!Quiet) WriteError(Errors.From(new TreeTamperedException(status), status.Path));
            }
            if (!Quiet) WriteObject(status);
        }
        if (Quiet) WriteObject(allGood);
    }
}
