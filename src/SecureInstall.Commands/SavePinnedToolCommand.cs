using System.Management.Automation;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.Install;
using SecureInstall.Core.Manifests;

namespace SecureInstall.Commands;

/// <summary>
/// Save-PinnedTool: writes verified artifacts, the manifest and its lock into a folder another machine installs from offline
/// (also an OCI image layout), or pushes them to an OCI registry (-Destination oci://HOST/REPO:TAG).
/// </summary>
[Cmdlet(VerbsData.Save, "PinnedTool", SupportsShouldProcess = true)]
[OutputType(typeof(BundledArtifact), typeof(Core.Modules.BundledModule), typeof(Core.Registries.RegistryPushResult))]
public sealed class SavePinnedToolCommand : PinnedToolCmdlet
{
    private readonly List<string> _names = new();

    /// <summary>The bundle folder to write (created when missing), or oci://HOST[:PORT]/REPO[:TAG] to push to a registry.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [Alias("Destination")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    /// <summary>The registry's user name and password (or token); by default the Docker config's entry for the host.</summary>
    [Parameter]
    [Credential]
    public PSCredential? RegistryCredential { get; set; }

    /// <summary>Repositories on the same registry to mount blobs from before uploading them.</summary>
    [Parameter]
    public string[] MountFrom { get; set; } = Array.Empty<string>();

    /// <summary>Push to an oci:// destination over plain HTTP (as ORAS's --plain-http); artifacts' http:// URLs are fetched too.</summary>
    [Parameter]
    public SwitchParameter AllowInsecureTransport { get; set; }

    /// <summary>A bearer token for the modules' feeds, sent only to each feed's own host (as Save-PinnedModule -FeedToken).</summary>
    [Parameter]
    public System.Security.SecureString? FeedToken { get; set; }

    /// <summary>Tools, or modules the manifest pins under modules:, to bundle; every tool and every module when omitted.</summary>
    [Parameter(ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <summary>The version to bundle; each tool's default when omitted.</summary>
    [Parameter]
    public string? Version { get; set; }

    /// <summary>Platforms to bundle: this machine's when omitted, "all" for every platform the manifest names.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(PlatformOrAllCompleter))]
    [ValidatePlatform("auto", "all")]
    public string[] Platform { get; set; } = { "auto" };

    protected override void ProcessRecord() => _names.AddRange(Name);

    protected override void EndProcessing()
    {
        // The destination is checked before the manifest is read: a mistyped reference is the first thing to hear about.
        Core.Registries.OciReference? registry = null;
        if (Core.Registries.OciReference.IsReference(Path))
        {
            try
            {
                registry = Core.Registries.OciReference.Parse(Path, plainHttp: AllowInsecureTransport);
            }
            catch (Core.SecureInstallException ex)
            {
                ThrowTerminatingError(Errors.From(ex, Path));
                return;
            }
        }
        PinnedManifest manifest = LoadManifest();
        string bundle = registry != null ? registry.ToString() : ResolveOutputPath(Path);
        var platforms = Platform.Contains("all", StringComparer.OrdinalIgnoreCase) ? new List<string>()
            : Platform.Select(p => string.Equals(p, "auto", StringComparison.OrdinalIgnoreCase) ? Platforms.Current : Platforms.Parse(p)).Distinct().ToList();
        BundleSelection selection;
        try
        {
            // Modules have no platform: -Platform narrows the tools only, and the manifest's modules travel with it.
            selection = BundleSelection.Of(manifest, _names, Version, platforms);
        }
        catch (Core.SecureInstallException ex)
        {
            ThrowTerminatingError(Errors.From(ex, Manifest));
            return;
        }
        string what = selection.Describe();
        if (!ShouldProcess(bundle, registry != null ? $"Download, verify and push {what}, with the manifest and its lock" : $"Download, verify and save {what}, with the manifest and its lock")) return;
        var options = new VerifiedDownloaderOptions { Log = Log, RegistryCredential = RegistryCredentialOf(RegistryCredential), AllowInsecureTransport = AllowInsecureTransport };
        foreach (string loosened in Core.LoosenedLimits.Of(options, name => "-" + name)) WriteVerbose(loosened);
        using var downloader = new VerifiedDownloader(options);
        try
        {
            if (registry != null)
            {
                using var client = new Core.Registries.RegistryClient(registry, options, Core.Registries.DockerConfig.Resolve(registry.Host, options.RegistryCredential, options.Log));
                WriteObject(Wait(new Core.Registries.RegistryPush(downloader, client) { MountFrom = MountFrom, FeedToken = FeedTokenText }.PushAsync(ManifestPath, selection, Log, CancelToken)));
                WriteVerbose($"Install from it with: Install-PinnedTool -Manifest '{ManifestPath}' -Registry '{registry.RepositoryText}'");
                if (selection.Modules.Count > 0) WriteVerbose($"and the modules with: Install-PinnedModule -Manifest '{ManifestPath}' -Registry '{registry.RepositoryText}'");
                return;
            }
            SavedBundle saved = Wait(new ToolBundle(downloader) { FeedToken = FeedTokenText }.SaveAsync(ManifestPath, selection, bundle, Log, CancelToken));
            foreach (BundledArtifact artifact in saved.Artifacts) WriteObject(artifact);
            foreach (Core.Modules.BundledModule module in saved.Modules) WriteObject(module);
            // The same folder is an OCI image layout too (blobs hard-linked to the bundle's files): -Registry reads it.
            string digest = Core.Registries.OciImageLayout.Write(bundle, Core.Registries.OciReference.DefaultTag, CancelToken);
            WriteVerbose($"Wrote the OCI image layout beside the bundle (manifest {digest}); -Registry '{bundle}' reads it.");
            WriteVerbose($"Install from it with: Install-PinnedTool -Manifest '{System.IO.Path.Combine(bundle, System.IO.Path.GetFileName(ManifestPath))}' -Source '{bundle}'");
            if (saved.Modules.Count > 0) WriteVerbose($"and the modules with: Install-PinnedModule -Manifest '{System.IO.Path.Combine(bundle, System.IO.Path.GetFileName(ManifestPath))}' -Source '{bundle}'");
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not PipelineStoppedException)
        {
            WriteError(Errors.From(ex, bundle));
        }
    }

    private string? FeedTokenText => FeedToken == null ? null : new System.Net.NetworkCredential(string.Empty, FeedToken).Password;

    internal static Core.Registries.RegistryCredential? RegistryCredentialOf(PSCredential? credential) =>
        credential == null ? null : new Core.Registries.RegistryCredential(credential.UserName, credential.GetNetworkCredential().Password, "-RegistryCredential");
}
