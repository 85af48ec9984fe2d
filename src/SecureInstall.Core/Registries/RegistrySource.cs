namespace SecureInstall.Core.Registries;

/// <summary>
/// Where pinned artifacts may be pulled by digest: a registry repository (<c>oci://HOST/REPO</c>, blobs fetched as
/// <c>GET /v2/REPO/blobs/sha256:PIN</c>) or an OCI image layout folder (<c>blobs/sha256/PIN</c>). The digest is pinned, so
/// no source is trusted: what it serves is verified like any download.
/// </summary>
public sealed class RegistrySource
{
    private RegistrySource(OciReference? reference, string? layoutDirectory, string? writtenIn = null)
    {
        Reference = reference;
        LayoutDirectory = layoutDirectory;
        WrittenIn = writtenIn;
    }

    public OciReference? Reference { get; }

    public string? LayoutDirectory { get; }

    /// <summary>Where a plain-HTTP registry was marked so ("plainHttp": true in /etc/…/mirrors.json), for the refusal's message.</summary>
    public string? WrittenIn { get; }

    /// <summary>
    /// An oci:// reference, or a path to an image layout folder (relative to <paramref name="baseDirectory"/>).
    /// <paramref name="plainHttp"/> makes an oci:// registry plain HTTP (see <see cref="OciReference.PlainHttp"/>);
    /// <paramref name="writtenIn"/> says where that was written.
    /// </summary>
    /// <exception cref="RegistryReferenceException">a malformed oci:// reference, or a folder that holds no image layout.</exception>
    public static RegistrySource Parse(string text, string? baseDirectory = null, bool plainHttp = false, string? writtenIn = null)
    {
        if (text == null) throw new ArgumentNullException(nameof(text));
        if (OciReference.IsReference(text)) return new RegistrySource(OciReference.Parse(text, plainHttp), null, plainHttp ? writtenIn : null);
        if (text.IndexOf("://", StringComparison.Ordinal) >= 0 && !text.StartsWith("file://", StringComparison.OrdinalIgnoreCase))
            throw new RegistryReferenceException(text, "a registry is oci://HOST/REPO, or the path to an OCI image layout folder");
        string path = text.StartsWith("file://", StringComparison.OrdinalIgnoreCase) ? new Uri(text).LocalPath : text;
        path = Path.GetFullPath(baseDirectory == null ? path : Path.Combine(baseDirectory, path));
        if (!OciImageLayout.IsLayout(path))
            throw new RegistryReferenceException(text, Directory.Exists(new Install.BundleLayout(path).ArtifactsDirectory)
                // A bundle Save-PinnedTool wrote before it wrote the image layout beside it: still read, by -Source.
                ? $"the folder {path} is a bundle without an OCI image layout (no {OciImageLayout.LayoutFileName}), as Save-PinnedTool wrote them before; install from it with -Source {path} (--source), or save it again with Save-PinnedTool -Destination to add the layout"
                : $"the folder {path} holds no OCI image layout (no {OciImageLayout.LayoutFileName}); write one with Save-PinnedTool -Destination {path}");
        return new RegistrySource(null, path);
    }

    /// <summary>Where the blob with this digest ("sha256:&lt;hex&gt;", "sha512:&lt;hex&gt;") is fetched from.</summary>
    public Uri BlobUri(string digest) =>
        Reference != null ? Reference.BlobUri(digest.ToLowerInvariant())
            : new Uri(OciImageLayout.BlobPath(LayoutDirectory!, digest.ToLowerInvariant()));

    public override string ToString() => Reference != null ? Reference + (Reference.PlainHttp ? " (plain HTTP)" : "") : LayoutDirectory!;
}
