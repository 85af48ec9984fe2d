using System.Management.Automation;
using SecureInstall.Core.Install;
using SecureInstall.Core.Manifests;

namespace SecureInstall.Commands;

/// <summary>Get-PinnedTool: the tools a manifest pins, and what this machine has installed of them.</summary>
[Cmdlet(VerbsCommon.Get, "PinnedTool")]
[OutputType(typeof(InstalledToolStatus))]
public sealed class GetPinnedToolCommand : PinnedToolCmdlet
{
    /// <summary>Tools to show (wildcards); all when omitted.</summary>
    [Parameter(Position = 1, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <summary>Re-hash each installed tree (as Test-PinnedTool does) instead of only checking that it is there.</summary>
    [Parameter]
    public SwitchParameter Verify { get; set; }

    /// <summary>Which install root to look in: CurrentUser (default) or AllUsers, as Install-PinnedTool -Scope.</summary>
    [Parameter]
    public InstallScope Scope { get => (InstallScope)_scope; set => _scope = value; }

    // Boxed, as every SecureInstall.Core value type in a field here must be (see InstallPinnedToolCommand).
    private object _scope = InstallScope.CurrentUser;

    private PinnedManifest? _manifest;
    private InstallLock? _lock;

    protected override void BeginProcessing()
    {
        _manifest = LoadManifest();
        _lock = LoadLock();
    }

    protected override void ProcessRecord()
    {
        var patterns = Name.Length == 0 ? new[] { new WildcardPattern("*") } : Name.Select(n => new WildcardPattern(n, WildcardOptions.IgnoreCase)).ToArray();
        string platform = Platforms.Current;
        foreach (PinnedTool tool in _manifest!.Tools.Where(t => patterns.Any(p => p.IsMatch(t.Name))))
        {
            string? pinned = tool.Resolve(null)?.Version;
            var installed = _lock!.ForTool(tool.Name, platform).ToList();
            if (installed.Count == 0)
            {
                WriteObject(new InstalledToolStatus { Name = tool.Name, Version = string.Empty, Platform = platform, Status = InstalledState.NotInstalled, PinnedVersion = pinned });
                continue;
            }
            string root = ToolInstallerOptions.DefaultRoot(Scope);
            foreach (LockEntry entry in installed)
            {
                InstalledToolStatus status;
                try
                {
                    // The folder is derived from the root and the (checked) names; the lock's path is only compared.
                    string dir = InstallRootLayout.VersionDirectory(root, entry.Tool, entry.Version);
                    status = Verify ? InstalledToolVerifier.Verify(root, entry, CancelToken) : new InstalledToolStatus
                    {
                        Name = entry.Tool, Version = entry.Version, Platform = entry.Platform, Path = dir, TreeDigest = entry.TreeDigest,
                        RecordedPath = entry.InstalledPath.Length > 0 && !InstallRootLayout.SamePath(entry.InstalledPath, dir) ? entry.InstalledPath : null,
                        Status = System.IO.Directory.Exists(dir) ? InstalledState.Installed : InstalledState.Missing,
                    };
                }
                catch (Exception ex) when (ex is Core.SecureInstallException or System.IO.IOException or UnauthorizedAccessException)
                {
                    WriteError(Errors.From(ex, entry.Tool));
                    continue;
                }
                status.PinnedVersion = pinned;
                if (status.RecordedPath != null) WriteWarning($"{entry.Tool} {entry.Version}: the lock records '{status.RecordedPath}', not '{status.Path}'; the recorded path is not used.");
                WriteObject(status);
            }
        }
    }
}
