using System.Management.Automation;
using SecureInstall.Core.Checksums;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.IO;
using SecureInstall.Core.Manifests;

namespace SecureInstall.Commands;

/// <summary>Update-PinnedToolManifest: pins a new version from the publisher's checksum list, keeping the manifest's formatting and comments.</summary>
[Cmdlet(VerbsData.Update, "PinnedToolManifest", SupportsShouldProcess = true)]
[OutputType(typeof(ManifestUpdate))]
public sealed class UpdatePinnedToolManifestCommand : PinnedToolCmdlet
{
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = string.Empty;

    /// <summary>The version to pin.</summary>
    [Parameter(Mandatory = true, Position = 2)]
    [ValidateNotNullOrEmpty]
    public string Version { get; set; } = string.Empty;

    /// <summary>The publisher's checksum list; by default the tool's checksums_url with {version} replaced.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ChecksumUri { get; set; }

    /// <summary>Also make the new version the tool's default_version.</summary>
    [Parameter]
    public SwitchParameter SetDefault { get; set; }

    /// <summary>Change the digest of a version already pinned (needs -Reason, which is written into the manifest).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Reason { get; set; }

    /// <summary>For an entry added from the aqua registry (catalog: aqua …): the registry checkout or raw-file URL to read it from.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Registry { get; set; }

    /// <summary>For an entry added from a catalog: the release download base (GitHub Enterprise Server).</summary>
    [Parameter]
    public Uri? GitHubBase { get; set; }

    protected override void EndProcessing()
    {
        PinnedManifest manifest = LoadManifest();
        if (Force && string.IsNullOrWhiteSpace(Reason))
            ThrowTerminatingError(Errors.ReasonRequired(Name));
        PinnedTool? tool = manifest.Find(Name);
        if (tool?.Catalog is string catalog && ChecksumUri == null && tool.ChecksumsUrl == null)
        {
            UpdateFromCatalog(tool, catalog);
            return;
        }
        string? listUri = ChecksumUri ?? tool?.ChecksumsUrl?.Replace("{version}", Version);
        if (tool != null && listUri == null)
            ThrowTerminatingError(Errors.From(new Core.Install.InstallException(Core.ErrorIds.NoChecksumsUrl, Core.FailureKind.InvalidArgument, Name,
                $"{Name} has no checksums_url in {ManifestPath}; pass -ChecksumUri with the publisher's checksum list."), Name));

        try
        {
            ChecksumList list = FetchList(listUri ?? string.Empty);
            string text = YamlBounds.ReadFile(ManifestPath, ManifestReader.MaximumBytes);
            ManifestUpdate update = ManifestUpdater.AddVersion(text, ManifestPath, Path.GetDirectoryName(ManifestPath), Name, Version, list, Force, Reason, SetDefault);
            foreach (string line in update.Artifacts) WriteVerbose($"{Name} {Version} {line} (from {update.ChecksumsSource}).");
            if (update.Change != "unchanged" && ShouldProcess(ManifestPath, $"{(update.Change == "added" ? "Pin" : "Re-pin")} {Name} {Version} ({update.Artifacts.Count} artifact(s))"))
            {
                AtomicFile.WriteAllText(ManifestPath, update.Text);
                if (update.Change == "re-pinned") WriteWarning($"{Name} {Version} was re-pinned to new digests: {Reason}");
            }
            WriteObject(update);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not PipelineStoppedException)
        {
            WriteError(Errors.From(ex, Name));
        }
    }

    /// <summary>An entry Add-PinnedTool wrote: the new version from the same catalog package, by its own rules.</summary>
    private void UpdateFromCatalog(PinnedTool tool, string catalog)
    {
        string[] parts = catalog.Split(new[] { ' ' }, 2);
        try
        {
            var request = new Core.Catalogs.CatalogAddRequest
            {
                ManifestPath = ManifestPath, From = parts[0], Package = parts.Length > 1 ? parts[1] : string.Empty, Version = Version,
                Registry = Core.Catalogs.CatalogToolAdder.IsRegistryUrl(Registry) ? Registry : SessionState.Path.GetUnresolvedProviderPathFromPSPath(Registry),
                GitHubBase = Core.Catalogs.CatalogToolAdder.GitHubBaseFrom(GitHubBase, Environment.GetEnvironmentVariable("GH_HOST")),
            };
            using var downloader = new VerifiedDownloader(new VerifiedDownloaderOptions { Log = Log, NoCache = true });
            string text = YamlBounds.ReadFile(ManifestPath, ManifestReader.MaximumBytes);
            ManifestUpdate update = Wait(new Core.Catalogs.CatalogToolAdder(downloader, Log).UpdateAsync(request, tool.Name, text, CancelToken));
            foreach (string line in update.Artifacts) WriteVerbose($"{tool.Name} {Version} {line} (from {update.ChecksumsSource}).");
            if (update.Change == "added" && ShouldProcess(ManifestPath, $"Pin {tool.Name} {Version} ({update.Artifacts.Count} artifact(s)) from {catalog}"))
                AtomicFile.WriteAllText(ManifestPath, update.Text);
            WriteObject(update);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not PipelineStoppedException)
        {
            WriteError(Errors.From(ex, Name));
        }
    }

    /// <summary>The publisher's list, fetched over the verified transport (https only), or read from a file.</summary>
    private ChecksumList FetchList(string uri)
    {
        if (!Uri.TryCreate(uri, UriKind.Absolute, out Uri? parsed)) parsed = new Uri(ResolveSingleFile(uri, nameof(ChecksumUri)));
        string temp = Path.Combine(Path.GetTempPath(), "secureinstall-list-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var downloader = new VerifiedDownloader(new VerifiedDownloaderOptions { Log = Log, NoCache = true, MaximumSize = ChecksumListParser.DefaultMaximumBytes });
            // Nothing pins the list itself: its authenticity rests on HTTPS (a signature policy tightens this).
            WriteWarning($"The checksum list {parsed} is trusted as served over its transport; review the new digests before committing the manifest.");
            Wait(downloader.DownloadAsync(new DownloadRequest(parsed, temp) { SkipVerification = true }, null, CancelToken));
            using FileStream stream = File.OpenRead(temp);
            return new ChecksumListParser().Parse(stream, parsed.ToString(), CancelToken);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
