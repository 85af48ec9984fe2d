using System;
using System.Linq;
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
            foreach (LockEntry entry in installed)
            {
                var status = new InstalledToolStatus
                {
                    Name = entry.Tool, Version = entry.Version, Platform = entry.Platform, Path = entry.InstalledPath, PinnedVersion = pinned, TreeDigest = entry.TreeDigest,
                    Status = System.IO.Directory.Exists(entry.InstalledPath) ? InstalledState.Installed : InstalledState.Missing,
                };
                if (Verify && status.Status == InstalledState.Installed)
                {
                    TreeDiff diff = ToolInstaller.Verify(entry, CancelToken);
                    status.Status = diff.IsEmpty ? InstalledState.Verified : InstalledState.Tampered;
                    status.Changed = diff.Changed;
                    status.Added = diff.Added;
                    status.Removed = diff.Removed;
                }
                WriteObject(status);
            }
        }
    }
}
