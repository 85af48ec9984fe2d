using SecureInstall.Core.Downloads;
using SecureInstall.Core.Install;
using SecureInstall.Core.IO;

namespace SecureInstall.Core.Registries;

/// <summary>What a push did: the manifest's reference and digest, and what moved.</summary>
public sealed class RegistryPushResult
{
    public string Reference { get; internal set; } = string.Empty;
    public string Tag { get; internal set; } = string.Empty;

    /// <summary>The manifest's digest: pin it, or pull by it.</summary>
    public string Digest { get; internal set; } = string.Empty;

    public int Layers { get; internal set; }

    /// <summary>Blobs sent (the others the registry already held, or mounted).</summary>
    public int BlobsUploaded { get; internal set; }
    public int BlobsSkipped { get; internal set; }
    public int BlobsMounted { get; internal set; }

    /// <summary>Blob bytes sent; a second push of the same set sends 0.</summary>
    public long BytesUploaded { get; internal set; }

    public IReadOnlyList<BundledArtifact> Artifacts { get; internal set; } = Array.Empty<BundledArtifact>();

    /// <summary>The modules' packages pushed (each a blob addressed sha512:&lt;its pin&gt;, as Install-PinnedModule -Registry asks for it).</summary>
    public IReadOnlyList<Modules.BundledModule> Modules { get; internal set; } = Array.Empty<Modules.BundledModule>();
}

/// <summary>
/// Save-PinnedTool -Destination oci://…: the bundle Save-PinnedTool writes (each artifact verified against its pin while it
/// was fetched, its signatures checked) is pushed as one OCI artifact (<see cref="OciArtifact"/>), blob by blob: HEAD first,
/// then a cross-repository mount from the repositories given, then an upload; the manifest last, under the tag.
/// </summary>
public sealed class RegistryPush
{
    private readonly VerifiedDownloader _downloader;
    private readonly RegistryClient _client;

    public RegistryPush(VerifiedDownloader downloader, RegistryClient client)
    {
        _downloader = downloader ?? throw new ArgumentNullException(nameof(downloader));
        _client = client ?? throw new ArgumentNullException(nameof(client));
    }

    /// <summary>Repositories on the same registry to mount blobs from before uploading them.</summary>
    public IReadOnlyList<string> MountFrom { get; set; } = Array.Empty<string>();

    /// <summary>A bearer token for the modules' feeds: sent to each feed's own host only.</summary>
    public string? FeedToken { get; set; }

    /// <summary>The tools' artifacts only.</summary>
    public Task<RegistryPushResult> PushAsync(string manifestPath, IReadOnlyList<ResolvedArtifact> selection, Action<string>? log = null, CancellationToken cancellationToken = default) =>
        PushSavedAsync(async (work, ct) => new SavedBundle(await new ToolBundle(_downloader).SaveAsync(manifestPath, selection, work, log, ct).ConfigureAwait(false), Array.Empty<Modules.BundledModule>()),
            log, cancellationToken);

    /// <summary>
    /// The tools' artifacts and the modules' .nupkg files <paramref name="selection"/> chose, in one artifact: every file
    /// fetched and verified (a module by its SHA-512 pin) into a private folder before a byte is sent, so a pin that fails
    /// pushes nothing.
    /// </summary>
    public Task<RegistryPushResult> PushAsync(string manifestPath, BundleSelection selection, Action<string>? log = null, CancellationToken cancellationToken = default) =>
        PushSavedAsync((work, ct) => new ToolBundle(_downloader) { FeedToken = FeedToken }.SaveAsync(manifestPath, selection, work, log, ct), log, cancellationToken);

    private async Task<RegistryPushResult> PushSavedAsync(Func<string, CancellationToken, Task<SavedBundle>> save, Action<string>? log, CancellationToken cancellationToken)
    {
        string work = Path.Combine(Path.GetTempPath(), "secureinstall-push-" + Guid.NewGuid().ToString("N"));
        UnixFileSystem.CreateDirectory(work, 0x1C0 /* 0700 */);
        try
        {
            SavedBundle saved = await save(work, cancellationToken).ConfigureAwait(false);
            RegistryPushResult result = await PushDirectoryAsync(work, log, cancellationToken).ConfigureAwait(false);
            result.Artifacts = saved.Artifacts;
            result.Modules = saved.Modules;
            return result;
        }
        finally
        {
            BestEffort.DeleteTree(work);
        }
    }

    /// <summary>Pushes a bundle folder as it is (every file re-hashed; an artifact must hash to its folder's pin).</summary>
    public async Task<RegistryPushResult> PushDirectoryAsync(string bundleDirectory, Action<string>? log = null, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<OciLayer> layers = OciArtifact.LayersOf(bundleDirectory, cancellationToken);
        var result = new RegistryPushResult { Reference = _client.Reference.ToString(), Tag = _client.Reference.Tag, Layers = layers.Count };
        long before = _client.BytesUploaded;
        foreach (OciLayer layer in layers)
        {
            // artifacts/sha384-<hex>/: OCI digests are sha256 and sha512 only, so this pin cannot address the blob.
            string[] parts = layer.Title.Split('/');
            int dash = parts.Length == 3 && parts[0] == BundleLayout.ArtifactsFolder ? parts[1].IndexOf('-') : -1;
            if (dash > 0 && parts[1].Substring(0, dash) != "sha512" && !layer.Digest.StartsWith("sha512:", StringComparison.Ordinal))
                log?.Invoke($"{layer.Title}: pinned by {parts[1].Substring(0, dash)} alone, which is not an OCI digest algorithm (sha256, sha512): pushed as {layer.Digest}, but an install cannot ask a registry for it by its pin and uses its own URL. Pin it by sha256 or sha512 to fetch it from the registry.");
        }
        foreach (OciLayer layer in layers.GroupBy(l => l.Digest).Select(g => g.First()))
            await EnsureBlobAsync(layer.Digest, layer.Title, result, log, ct => _client.UploadAsync(layer.Path, layer.Digest, layer.Size, ct),
                $"uploaded {layer.Size:N0} bytes{(layer.Size > _client.ChunkSize ? " (in chunks)" : "")}", cancellationToken).ConfigureAwait(false);
        string config = OciArtifact.Digest(OciArtifact.EmptyConfig);
        await EnsureBlobAsync(config, "the empty config", result, log, ct => _client.UploadAsync(OciArtifact.EmptyConfig, config, ct), "uploaded 2 bytes", cancellationToken).ConfigureAwait(false);
        byte[] manifest = OciArtifact.Manifest(layers);
        result.Digest = await _client.PutManifestAsync(manifest, OciArtifact.ManifestMediaType, _client.Reference.Tag, cancellationToken).ConfigureAwait(false);
        string expected = OciArtifact.Digest(manifest);
        if (result.Digest != expected)
            throw new RegistryRequestException(result.Reference, 201, $"the registry names the manifest {result.Digest}, but its bytes are {expected}.");
        result.BytesUploaded = _client.BytesUploaded - before;
        log?.Invoke($"Pushed {result.Reference} ({layers.Count} layers; {result.BlobsUploaded} uploaded, {result.BlobsSkipped} already there, {result.BlobsMounted} mounted; {result.BytesUploaded:N0} bytes) as {result.Digest}.");
        return result;
    }

    /// <summary>HEAD first; then a mount from each of <see cref="MountFrom"/>; then the upload. Counted in <paramref name="result"/>.</summary>
    private async Task EnsureBlobAsync(string digest, string title, RegistryPushResult result, Action<string>? log, Func<CancellationToken, Task> upload, string uploaded,
        CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (await _client.BlobExistsAsync(digest, cancellationToken).ConfigureAwait(false))
        {
            log?.Invoke($"{title}: the registry already holds {digest}; not uploaded.");
            result.BlobsSkipped++;
            return;
        }
        foreach (string from in MountFrom.Where(f => f != _client.Reference.Repository))
        {
            if (await _client.TryMountAsync(digest, from, cancellationToken).ConfigureAwait(false))
            {
                log?.Invoke($"{title}: mounted {digest} from {from}; no bytes sent.");
                result.BlobsMounted++;
                return;
            }
        }
        await upload(cancellationToken).ConfigureAwait(false);
        log?.Invoke($"{title}: {uploaded} as {digest}.");
        result.BlobsUploaded++;
    }
}
