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

    /// <summary>Which install root to look in: CurrentUser (default) or AllUsers (needs elevation), as Install-PinnedTool -Scope.</summary>
    [Parameter]
    public InstallScope Scope { get => (InstallScope)_scope; set => _scope = value; }

    // Boxed, as every SecureInstall.Core value type in a field here must be (see InstallPinnedToolCommand).
    private object _scope = InstallScope.CurrentUser;

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
            var options = new ToolInstallerOptions { Root = ToolInstallerOptions.DefaultRoot(Scope), Scope = Scope };
            foreach (LockEntry entry in entries)
            {
                string target;
                try
                {
                    // Only <root>/<tool>/<version> is ever removed; the lock's installedPath is compared and reported, never used.
                    target = InstallRootLayout.VersionDirectory(options.Root, entry.Tool, entry.Version);
                }
                catch (Core.SecureInstallException ex)
                {
                    WriteError(Errors.From(ex, entry.Tool));
                    continue;
                }
                if (!ShouldProcess(target, $"Uninstall {entry.Tool} {entry.Version} ({entry.Platform})")) continue;
                try
                {
                    UninstallResult removed = ToolUninstaller.Uninstall(options, entry, LockPath, WriteVerbose, CancelToken);
                    if (removed.RecordedPath != null)
                        WriteWarning($"{entry.Tool} {entry.Version}: the lock recorded '{removed.RecordedPath}'; that path was not touched. Removed '{removed.Path}', where this install root keeps it.");
                    WriteVerbose($"Removed {entry.Tool} {entry.Version} from {removed.Path}, {removed.Shims.Count} shim(s) ({string.Join(", ", removed.Shims)}) and its lock entry.");
                }
                catch (Exception ex) when (ex is Core.SecureInstallException or IOException or UnauthorizedAccessException)
                {
                    WriteError(Errors.From(ex, target));
                }
            }
        }
    }
}
