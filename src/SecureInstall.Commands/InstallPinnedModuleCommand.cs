using System.Management.Automation;
using System.Security;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.Install;
using SecureInstall.Core.Manifests;
using SecureInstall.Core.Modules;

namespace SecureInstall.Commands;

/// <summary>
/// Install-PinnedModule: installs the PowerShell modules a manifest pins (modules:), each held to its .nupkg's SHA-512,
/// with their pinned dependencies, into a module path, and records them in the lock's modules section.
/// </summary>
/// <remarks>
/// A noun of its own rather than a -Module switch on Install-PinnedTool: a module goes to a PSModulePath folder, not the
/// install root; it has no platform, shims or PATH; its checks (.psd1, dependencies, shadowing) are its own. The verbs
/// follow Install-PSResource's, so PowerShell users find it where they look.
/// </remarks>
[Cmdlet(VerbsLifecycle.Install, "PinnedModule", SupportsShouldProcess = true)]
[OutputType(typeof(ModuleInstallResult))]
public sealed class InstallPinnedModuleCommand : PinnedModuleCmdlet
{
    private const int ProgressActivityId = 0x51C5;

    /// <summary>A bearer token for the feeds, sent only to each feed's own host (never after a redirect to another).</summary>
    [Parameter]
    public SecureString? FeedToken { get; set; }

    /// <summary>Reinstall even when the installed tree verifies against the lock.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>A bundle folder Save-PinnedModule wrote: the packages are read from it (no network), each still held to its pin.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Source { get; set; }

    /// <summary>Registries (oci://HOST/REPO) or OCI image layout folders to fetch each .nupkg from by its sha512 pin, before its feed.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] Registry { get; set; } = Array.Empty<string>();

    /// <summary>Fetch only from the registries (-Registry, mirrors.json): never the modules' feeds.</summary>
    [Parameter]
    public SwitchParameter RegistryOnly { get; set; }

    /// <summary>The registry's user name and password (or token); by default the Docker config's entry for the host.</summary>
    [Parameter]
    [Credential]
    public PSCredential? RegistryCredential { get; set; }

    /// <summary>Speak plain HTTP to the -Registry registries (as ORAS's --plain-http), and to mirrors.json registries marked "plainHttp": true.</summary>
    [Parameter]
    public SwitchParameter AllowInsecureTransport { get; set; }

    protected override void EndProcessing()
    {
        // The registries are checked before the manifest is read, as Install-PinnedTool does.
        VerifiedDownloaderOptions downloaderOptions = RegistryPullOptions(Registry, RegistryOnly, RegistryCredential, AllowInsecureTransport, "module package (by its sha512 pin)");
        PinnedManifest manifest = LoadManifest();
        IReadOnlyList<PinnedModule> modules;
        try
        {
            modules = ModuleInstaller.Select(manifest, Names);
        }
        catch (Core.SecureInstallException ex)
        {
            WriteError(Errors.From(ex, Manifest));
            return;
        }
        var options = new ModuleInstallerOptions
        {
            ModulePath = ResolveModulePath(),
            LockRoot = ToolInstallerOptions.DefaultRoot(Scope),
            Force = Force,
            Source = Source == null ? null : ResolveOutputPath(Source),
            FeedToken = FeedToken == null ? null : new System.Net.NetworkCredential(string.Empty, FeedToken).Password,
        };
        WriteVerbose($"Installing {modules.Count} pinned module(s) into {options.ModulePath}.");

        using var downloader = new VerifiedDownloader(downloaderOptions);
        var installer = new ModuleInstaller(options, downloader);
        var chosen = modules.Where(m => ShouldProcess($"Install {m.Name} {m.Version}: {installer.Describe(m)}", $"Install {m.Name} {m.Version} into {installer.TargetOf(m)}?", "Install-PinnedModule")).ToList();
        if (chosen.Count == 0) return;

        using var progress = new ThrottledProgress(this, ProgressActivityId, $"Installing {chosen.Count} pinned module(s)");
        try
        {
            IReadOnlyList<ModuleInstallResult> results = Wait(installer.InstallAsync(manifest, chosen, LockPath, Report, CancelToken),
                () => progress.Update("downloading and verifying", -1));
            foreach (ModuleInstallResult result in results)
            {
                if (result.Status == ModuleInstallStatus.AlreadyInstalled) WriteVerbose($"{result.Name} {result.Version}: already installed, verified.");
                WriteObject(result);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not PipelineStoppedException)
        {
            WriteError(Errors.From(ex, Manifest));
        }
    }
}
