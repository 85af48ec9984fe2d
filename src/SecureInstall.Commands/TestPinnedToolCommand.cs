using System;
using System.Collections.Generic;
using System.Linq;
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
        foreach (LockEntry entry in entries)
        {
            WriteVerbose($"Re-hashing {entry.Tool} {entry.Version} at {entry.InstalledPath}; the lock expects {entry.TreeDigest}.");
            TreeDiff diff = ToolInstaller.Verify(entry, CancelToken);
            var status = new InstalledToolStatus
            {
                Name = entry.Tool, Version = entry.Version, Platform = entry.Platform, Path = entry.InstalledPath, TreeDigest = entry.TreeDigest,
                Changed = diff.Changed, Added = diff.Added, Removed = diff.Removed,
                Status = diff.IsEmpty ? InstalledState.Verified : System.IO.Directory.Exists(entry.InstalledPath) ? InstalledState.Tampered : InstalledState.Missing,
            };
            try
            {
                Core.Signatures.SignatureResult? signature = ToolInstaller.VerifyRecordedSignature(entry, CancelToken);
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
            if (!diff.IsEmpty)
            {
                allGood = false;
                if (!Quiet) WriteError(Errors.From(new TreeTamperedException(entry.Tool, entry.Version, entry.InstalledPath, diff), entry.InstalledPath));
            }
            if (!Quiet) WriteObject(status);
        }
        if (Quiet) WriteObject(allGood);
    }
}
