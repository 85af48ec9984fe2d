using System.Management.Automation;
using System.Security;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.IO;
using SecureInstall.Core.Manifests;
using SecureInstall.Core.Modules;

namespace SecureInstall.Commands;

/// <summary>
/// Update-PinnedModuleManifest: pins a module version from its feed, with the .nupkg's SHA-512, and pins each of its
/// dependencies, keeping the manifest's formatting and comments.
/// </summary>
/// <remarks>
/// A cmdlet of its own rather than a -Module switch on Update-PinnedToolManifest: the module family is *-PinnedModule
/// (Install-, Test-), the manifest reader's and installer's messages already send users to Update-PinnedModuleManifest,
/// and none of Update-PinnedToolManifest's parameters (-ChecksumUri, -SetDefault, -Force/-Reason) mean anything for a
/// module, whose digest comes from the package itself and whose feed is the only source.
/// </remarks>
[Cmdlet(VerbsData.Update, "PinnedModuleManifest", SupportsShouldProcess = true)]
[OutputType(typeof(ModulePinUpdate))]
public sealed class UpdatePinnedModuleManifestCommand : PinnedToolCmdlet
{
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = string.Empty;

    /// <summary>The version to pin; the feed's highest release by default.</summary>
    [Parameter(Position = 2)]
    [ValidateNotNullOrEmpty]
    public string? Version { get; set; }

    /// <summary>The feed (a NuGet v2 endpoint or a v3 index.json); the module's pinned source by default.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public Uri? Source { get; set; }

    /// <summary>A bearer token for the feed, sent only to the feed's own host (never after a redirect to another).</summary>
    [Parameter]
    public SecureString? FeedToken { get; set; }

    protected override void EndProcessing()
    {
        LoadManifest();
        try
        {
            string text = YamlBounds.ReadFile(ManifestPath, ManifestReader.MaximumBytes);
            string? token = FeedToken == null ? null : new System.Net.NetworkCredential(string.Empty, FeedToken).Password;
            // NoCache: the pin is what the feed serves now, not what a cache kept.
            using var downloader = new VerifiedDownloader(new VerifiedDownloaderOptions { Log = Log, NoCache = true });
            var updater = new ModuleManifestUpdater(downloader, token);
            ModuleManifestUpdate update = Wait(updater.UpdateAsync(text, ManifestPath, Path.GetDirectoryName(ManifestPath), Name, Version, Source, Log, CancelToken));
            string changes = string.Join("; ", update.Pins.Where(p => p.Change != "unchanged")
                .Select(p => p.Change == "added" ? $"pin {p.Name} {p.Version} sha512 {p.Sha512}" : $"{p.Name} {p.FromVersion} -> {p.Version} sha512 {p.Sha512}"));
            if (update.Changed && ShouldProcess(ManifestPath, $"Update the module pins: {changes}"))
                AtomicFile.WriteAllText(ManifestPath, update.Text);
            foreach (ModulePinUpdate pin in update.Pins) WriteObject(pin);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not PipelineStoppedException)
        {
            WriteError(Errors.From(ex, Name));
        }
    }
}
