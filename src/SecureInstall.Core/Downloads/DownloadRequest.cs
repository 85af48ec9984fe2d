using SecureInstall.Core.Checksums;
using SecureInstall.Core.Signatures;

namespace SecureInstall.Core.Downloads;

/// <summary>
/// One artifact to fetch: where from (several URIs are mirrors, tried in order), where to, and exactly one source of
/// the digest it must have.
/// </summary>
public sealed class DownloadRequest
{
    public DownloadRequest(IEnumerable<Uri> uris, string destination)
    {
        if (uris == null) throw new ArgumentNullException(nameof(uris));
        Uris = uris.ToList();
        if (Uris.Count == 0) throw new ArgumentException("At least one URI is needed.", nameof(uris));
        foreach (Uri uri in Uris)
        {
            if (uri == null) throw new ArgumentException("A URI is null.", nameof(uris));
            if (!uri.IsAbsoluteUri) throw new InvalidUriException(uri, "The URI");
        }
        Destination = destination ?? throw new ArgumentNullException(nameof(destination));
    }

    public DownloadRequest(Uri uri, string destination) : this(new[] { uri }, destination)
    {
    }

    /// <summary>The artifact's URI first, then mirrors. Any of them is safe because the digest is pinned.</summary>
    public IReadOnlyList<Uri> Uris { get; }

    /// <summary>Where the verified file is placed (replacing an existing file only after the new one verified).</summary>
    public string Destination { get; }

    /// <summary>The digest, given directly (see <see cref="ChecksumEntry.FromDigest"/>).</summary>
    public ChecksumEntry? Expected { get; set; }

    /// <summary>A checksum list published beside the artifact; the artifact is looked up in it by file name.</summary>
    public Uri? ChecksumUri { get; set; }

    /// <summary>A local checksum list; the artifact is looked up in it by file name.</summary>
    public string? ChecksumFile { get; set; }

    /// <summary>
    /// A detached signature: of the checksum list when <see cref="ChecksumUri"/> or <see cref="ChecksumFile"/> is given
    /// (the list is verified before any digest in it is trusted), otherwise of the artifact itself (verified before the
    /// file is placed). Needs <see cref="SignatureVerifier"/>.
    /// </summary>
    public Uri? SignatureUri { get; set; }

    /// <summary>
    /// The verifier holding the trusted key(s). With a checksum list and no <see cref="SignatureUri"/>, the list must be
    /// OpenPGP clear-signed. A signature that cannot be checked fails the download.
    /// </summary>
    public DetachedSignatureVerifier? SignatureVerifier { get; set; }

    /// <summary>
    /// A check of the artifact's digests run before the file is placed, on every path including a cache hit: a Sigstore
    /// bundle is verified against them. It is given the pinned digest (with its companions: an npm provenance subject names
    /// sha512 alone) before any byte moves, or, with nothing pinned, the SHA-256 of the bytes received. It throws to refuse the file.
    /// </summary>
    public Func<ChecksumEntry, System.Threading.CancellationToken, SignatureResult>? DigestCheck { get; set; }

    /// <summary>
    /// The Authenticode signer the artifact (a PE file) must be signed by: checked on the staged bytes before the file is
    /// placed, on every path including a cache hit (<see cref="StagedAuthenticode"/>). With no digest pinned it is what
    /// verifies the download.
    /// </summary>
    public AuthenticodeVerifier? Authenticode { get; set; }

    /// <summary>The name to look up in a checksum list; by default the last segment of the first URI.</summary>
    public string? ArtifactName { get; set; }

    /// <summary>The exact size in bytes, when known: checked against Content-Length up front and the bytes received.</summary>
    public long? ExpectedSize { get; set; }

    /// <summary>
    /// A cap for this file below the downloader's <see cref="VerifiedDownloaderOptions.MaximumSize"/> (a NuGet package:
    /// <see cref="Modules.NuGetFeed.MaximumPackageBytes"/>): a pin with no size still stops a feed that streams without end.
    /// </summary>
    public long? MaximumSize { get; set; }

    /// <summary>Download without a digest to check. The result still carries the SHA-256 seen, so the caller can pin it.</summary>
    public bool SkipVerification { get; set; }

    /// <summary>Sent as a bearer token to the host of the URI it was given for, never to another host after a redirect.</summary>
    public string? Token { get; set; }

    /// <summary>
    /// When set, the file's URL has to be looked up first (a NuGet v3 feed names its flat container in a service index):
    /// <see cref="Uris"/> then holds the one URI it is looked up from, which names the source (and the origin a
    /// <see cref="Token"/> may go to) but is not itself downloaded. The lookup runs only when the cache and the registries
    /// did not serve the pinned file, and never with -RegistryOnly, so a warm cache or a fleet registry installs with the
    /// feed down. Its answer is then downloaded (and mirrored) like any URI.
    /// </summary>
    public Func<CancellationToken, Task<Uri>>? ResolveUri { get; set; }

    /// <summary>The file name a checksum list is searched for.</summary>
    public string LookupName
    {
        get
        {
            if (!string.IsNullOrEmpty(ArtifactName)) return ArtifactName!;
            Uri first = Uris[0];
            string segment = first.IsFile ? System.IO.Path.GetFileName(first.LocalPath) : Uri.UnescapeDataString(first.AbsolutePath.TrimEnd('/'));
            int slash = segment.LastIndexOf('/');
            if (slash >= 0) segment = segment.Substring(slash + 1);
            return segment.Length > 0 ? segment : System.IO.Path.GetFileName(Destination);
        }
    }
}
