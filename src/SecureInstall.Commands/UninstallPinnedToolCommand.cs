using System;
using System.IO;
using System.Linq;
using System.Management.Automation;
using SecureInstall.Core.Install;

namespace SecureInstall.Commands;

/// <summary>Uninstall-PinnedTool: removes installed versions, their shims and their lock entries.</summary>
[Cmdlet(VerbsLifecycle.Uninstall, "PinnedTool", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(void))]
public sealed class UninstallPinnedToolCommand : PinnedToolCmdlet
{
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <summary>The version to remove; every installed version of the tool when omitted.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? Version { get; set; }

    protected override void BeginProcessing() => ResolveManifestPath();

    protected override void ProcessRecord()
    {
        InstallLock lockFile = LoadLock();
        foreach (string name in Name)
        {
            var entries = lockFile.Entries
                .Where(e => string.Equals(e.Tool, name, StringComparison.OrdinalIgnoreCase) && (string.IsNullOrEmpty(Version) || e.Version == Version)).ToList();
            if (entries.Count == 0)
            {
                WriteError(Errors.From(new InstallException(Core.ErrorIds.NotInstalled, Core.FailureKind.NotFound, name,
                    $"the lock {LockPath} records no install of {name}{(string.IsNullOrEmpty(Version) ? "" : " " + Version)}."), name));
                continue;
            }
            foreach (LockEntry entry in entries)
            {
                if (!ShouldProcess(entry.InstalledPath, $"Uninstall {entry.Tool} {entry.Version} ({entry.Platform})")) continue;
                // The root is the folder above <tool>/<version>: shims and locks live there.
                string root = Path.GetDirectoryName(Path.GetDirectoryName(entry.InstalledPath.TrimEnd(Path.DirectorySeparatorChar))!)!;
                try
                {
                    ToolInstaller.Uninstall(new ToolInstallerOptions { Root = root }, entry, LockPath, CancelToken);
                    WriteVerbose($"Removed {entry.Tool} {entry.Version} from {entry.InstalledPath}, its shims and its lock entry.");
                }
                catch (Exception ex) when (ex is Core.SecureInstallException or IOException or UnauthorizedAccessException)
                {
                    WriteError(Errors.From(ex, entry.InstalledPath));
                }
            }
        }
    }
}
