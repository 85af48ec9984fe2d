using System.Management.Automation;
using System.Security;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.Manifests;
using SecureInstall.Core.Modules;

namespace SecureInstall.Commands;

/// <summary>
/// Save-PinnedModule: writes the pinned modules' verified .nupkg files (with their pinned dependencies), the manifest and its
/// lock into a bundle folder, beside what Save-PinnedTool puts there; Install-PinnedModule -Source installs from it offline.
/// </summary>
[Cmdlet(VerbsData.Save, "PinnedModule", SupportsShouldProcess = true)]
[OutputType(typeof(BundledModule))]
public sealed class SavePinnedModuleCommand : PinnedToolCmdlet
{
    private readonly List<string> _names = new();

    /// <summary>The bundle folder to write (created when missing), as Save-PinnedTool -Path.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    /// <summary>Modules to save, with the pinned modules they depend on; every module the manifest pins when omitted.</summary>
    [Parameter(ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <summary>A bearer token for the feeds, sent only to each feed's own host.</summary>
    [Parameter]
    public SecureString? FeedToken { get; set; }

    protected override void ProcessRecord() => _names.AddRange(Name);

    protected override void EndProcessing()
    {
        PinnedManifest manifest = LoadManifest();
        IReadOnlyList<PinnedModule> modules;
        try
        {
            modules = ModuleInstaller.Select(manifest, _names);
        }
        catch (Core.SecureInstallException ex)
        {
            ThrowTerminatingError(Errors.From(ex, Manifest));
            return;
        }
        string bundle = ResolveOutputPath(Path);
        string what = string.Join(", ", modules.Select(m => $"{m.Name} {m.Version}"));
        if (!ShouldProcess(bundle, $"Download, verify and save {what} (and the pinned modules they depend on), with the manifest and its lock")) return;
        using var downloader = new VerifiedDownloader(new VerifiedDownloaderOptions { Log = Log });
        var saver = new ModuleBundle(downloader) { FeedToken = FeedToken == null ? null : new System.Net.NetworkCredential(string.Empty, FeedToken).Password };
        try
        {
            foreach (BundledModule saved in Wait(saver.SaveAsync(ManifestPath, manifest, modules, bundle, Log, CancelToken))) WriteObject(saved);
            WriteVerbose($"Install from it with: Install-PinnedModule -Manifest '{System.IO.Path.Combine(bundle, System.IO.Path.GetFileName(ManifestPath))}' -Source '{bundle}'");
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not PipelineStoppedException)
        {
            WriteError(Errors.From(ex, bundle));
        }
    }
}
