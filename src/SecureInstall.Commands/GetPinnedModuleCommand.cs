using System.Management.Automation;
using SecureInstall.Core.Modules;

namespace SecureInstall.Commands;

/// <summary>Get-PinnedModule: the modules a manifest pins and the lock records, and where this machine has them, as Get-PinnedTool for tools.</summary>
[Cmdlet(VerbsCommon.Get, "PinnedModule")]
[OutputType(typeof(InstalledModuleStatus))]
public sealed class GetPinnedModuleCommand : ModulePathCmdlet
{
    /// <summary>Modules to show (wildcards); all when omitted.</summary>
    [Parameter(Position = 1, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <summary>Re-hash each installed tree and search PSModulePath for shadows (as Test-PinnedModule does) instead of only checking that it is there.</summary>
    [Parameter]
    public SwitchParameter Verify { get; set; }

    private Core.Manifests.PinnedManifest? _manifest;
    private Core.Install.InstallLock? _lock;
    private string _modulePath = string.Empty;

    protected override void BeginProcessing()
    {
        _manifest = LoadManifest();
        _lock = LoadLock();
        _modulePath = ResolveModulePath();
    }

    protected override void ProcessRecord()
    {
        var patterns = Name.Length == 0 ? new[] { new WildcardPattern("*") } : Name.Select(n => new WildcardPattern(n, WildcardOptions.IgnoreCase)).ToArray();
        try
        {
            foreach (InstalledModuleStatus status in InstalledModuleVerifier.List(_manifest!, _lock!, _modulePath, n => patterns.Any(p => p.IsMatch(n)), Verify, CancelToken))
            {
                if (status.PinnedVersion == null) WriteWarning($"{status.Name} {status.Version}: the lock records it, and {Manifest} no longer pins it; Uninstall-PinnedModule removes it.");
                WriteObject(status);
            }
        }
        catch (Exception ex) when (ex is Core.SecureInstallException or IOException or UnauthorizedAccessException)
        {
            WriteError(Errors.From(ex, Manifest));
        }
    }
}
