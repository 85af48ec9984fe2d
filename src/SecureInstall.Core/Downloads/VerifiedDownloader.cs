using System.Diagnostics;
using System.Net.Http;
using System.Runtime.ExceptionServices;
using SecureInstall.Core.Checksums;
using SecureInstall.Core.Signatures;
using SecureInstall.Core.IO;
using SecureInstall.Core.Registries;

namespace SecureInstall.Core.Downloads;

/// <summary>
/// Fetches an artifact in one pass: the bytes stream to a temporary file beside the destination while they are
/// hashed and counted, and the file is renamed into place only when its digest (and size) match. Any failure
/// leaves the destination as it was and no temporary file behind.
/// </summary>
/// <remarks>
/// The orchestrator over parts with one job each: <see cref="DownloadPreflight"/> (request rules),
/// <see cref="ExpectedDigestResolver"/> (the digest and the signatures), <see cref="CacheLookup"/> (a hit),
/// <see cref="MirrorConfiguration"/> (mirrors), <see cref="DownloadTransport"/> (redirects, retry, resume) and
/// <see cref="ChunkedCopy"/> (the copy loop). What stays here: the order of those steps, verifying the downloaded bytes
/// before they are placed, and batches.
/// </remarks>
public sealed class VerifiedDownloader : IDisposable
{
    private readonly VerifiedDownloaderOptions _options;
    private readonly DownloadTransport _transport;
    private readonly ExpectedDigestResolver _resolver;
    private readonly ArtifactCache? _cache;
    private readonly CacheLookup? _cacheLookup;
    private readonly Action<string> _log;
    private volatile bool _cacheTrusted;
    private readonly RegistryBlobs _registries;

    public VerifiedDownloader(VerifiedDownloaderOptions? options = null)
        : this(options, null)
    {
    }

    /// <summary>With <paramref name="handler"/>, the caller's handler is used as is (it must not follow redirects itself).</summary>
    public VerifiedDownloader(VerifiedDownloaderOptions? options, HttpMessageHandler? handler)
    {
        _options = options ?? new VerifiedDownloaderOptions();
        if (_options.MaximumSize <= 0) throw new ArgumentOutOfRangeException(nameof(options), "MaximumSize must be positive.");
        if (_options.BufferSize < 4096) throw new ArgumentOutOfRangeException(nameof(options), "BufferSize must be at least 4096.");
        // Every log line goes through the one redaction, once: a URL in it (a redirect, a proxy in an error) loses its secrets.
        // The caller's log is read per line (the options may be changed after the downloader is made).
        _log = line =>
        {
            if (_options.Log is Action<string> log) UriText.RedactingLog(log)(line);
        };
        var copy = new ChunkedCopy(_options.BufferSize);
        _transport = new DownloadTransport(_options, handler, copy, _log);
        _resolver = new ExpectedDigestResolver(_transport, _options, _log);
        _cache = _options.NoCache ? null : new ArtifactCache(_options.CacheDirectory ?? ArtifactCache.DefaultDirectory());
        _cacheLookup = _cache == null ? null : new CacheLookup(_cache, copy, _options, _log);
        _registries = new RegistryBlobs(_options);
    }

    public VerifiedDownloaderOptions Options => _options;

    /// <summary>The cache in use, or null with <see cref="VerifiedDownloaderOptions.NoCache"/>.</summary>
    public ArtifactCache? Cache => _cache;

    /// <summary>
    /// Downloads, verifies and places one artifact. Throws a <see cref="SecureInstallException"/> subclass on a refused
    /// or failed download (<see cref="ChecksumMismatchException"/>, <see cref="SizeLimitExceededException"/>, …).
    /// <paramref name="progress"/> is called on worker threads, a few times a second.
    /// </summary>
    public async Task<DownloadResult> DownloadAsync(DownloadRequest request, IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (request == null) throw new ArgumentNullException(nameof(request));
        var clock = Stopwatch.StartNew();
        string destination = Path.GetFullPath(request.Destination);
        foreach (Uri uri in request.Uris) DownloadPreflight.CheckScheme(uri, _options.AllowInsecureTransport);
        DownloadPreflight.Check(request, destination);
        // Before any byte moves: a cache another user controls is refused, not read or filled (issue 17).
        // Once per downloader, not per file: a batch of a thousand rows would otherwise walk the cache's folders a thousand times.
        if (_cache != null && !request.SkipVerification && !_cacheTrusted)
        {
            _cache.EnsureTrusted(_log);
            _cacheTrusted = true;
        }

        ExpectedDigest resolved = await _resolver.ResolveAsync(request, cancellationToken).ConfigureAwait(false);
        ChecksumEntry? expected = resolved.Entry;

        // A list giving the file a second digest is checked on the bytes as they arrive; a cache hit re-hashes the pin's SHA-256 or SHA-512.
        if (expected != null && ArtifactCache.Keeps(expected.Algorithm) && expected.Companions.Count == 0 && _cacheLookup != null && resolved.ArtifactSignature == null)
        {
            DownloadResult? hit = await _cacheLookup.TryServeAsync(request, expected, destination, progress, clock, cancellationToken).ConfigureAwait(false);
            if (hit != null)
            {
                hit.Signature = resolved.DigestSignature ?? resolved.ListSignature ?? hit.Signature;
                return hit;
            }
        }

        var registryOf = new Dictionary<Uri, RegistrySource>();
        MirrorConfiguration? mirrors = null;
        if (expected != null)
        {
            // Configured mirrors only ever serve pinned downloads: the digest, not the mirror, is what is trusted.
            mirrors = _options.Mirrors ?? MirrorConfiguration.Load(MirrorConfiguration.DefaultPath());
            // Registries serve a blob by an OCI digest, sha256 or sha512: a pin by another algorithm alone cannot be asked for there (issue 20).
            IReadOnlyList<RegistrySource> registries = _options.Registries.Concat(mirrors.Registries).ToList();
            if (OciArtifact.RegistryDigestOf(expected) is string registryDigest)
            {
                foreach ((Uri blob, RegistrySource source) in _registries.UrisFor(registryDigest, registries))
                {
                    DownloadPreflight.CheckScheme(blob, _options.AllowInsecureTransport);
                    registryOf[blob] = source;
                    _log($"Trying the registry {source} first: {UriText.Redact(blob)}.");
                }
            }
            else if (registries.Count > 0)
            {
                _log($"Not asking the registries for {request.Uris[0].Segments.LastOrDefault()}: it is pinned by {ChecksumAlgorithms.LowerName(expected.Algorithm)} alone, and a registry addresses blobs by sha256 or sha512 only; its own URL is used.");
            }
        }
        if (_options.RegistryOnly && registryOf.Count == 0)
            throw new RegistryRequestException(UriText.Redact(request.Uris[0]), null, expected == null || OciArtifact.RegistryDigestOf(expected) == null
                ? "-RegistryOnly (--registry-only): a registry serves blobs by SHA-256 or SHA-512, and this artifact is not pinned by either; its own URL is not used."
                : "-RegistryOnly (--registry-only) was given, but no registry is configured (-Registry, or a \"registry\" entry in mirrors.json).");

        // The registries first, then the file's own URL and its mirrors; a URL that must be looked up (ResolveUri) only then.
        IReadOnlyList<Uri>? origins = _options.RegistryOnly ? Array.Empty<Uri>() : request.ResolveUri == null ? WithMirrors(request.Uris, mirrors) : null;
        var failures = new List<SecureInstallException>();
        List<Uri> blobs = registryOf.Keys.ToList();
        for (int i = 0; i < blobs.Count; i++)
        {
            bool more = i < blobs.Count - 1 || origins == null || origins.Count > 0;
            DownloadResult? served = await TryFetchAsync(blobs[i], registryOf[blobs[i]], more, request, expected, resolved, destination, progress, clock, failures, cancellationToken).ConfigureAwait(false);
            if (served != null) return served;
        }
        if (origins == null)
        {
            try
            {
                Uri found = await request.ResolveUri!(cancellationToken).ConfigureAwait(false);
                if (!found.IsAbsoluteUri) throw new InvalidUriException(found, "The looked-up URI");
                origins = WithMirrors(new[] { found }, mirrors);
            }
            catch (SecureInstallException ex) when (failures.Count > 0)
            {
                failures.Add(ex);
                origins = Array.Empty<Uri>();
            }
        }
        for (int i = 0; i < origins.Count; i++)
        {
            DownloadResult? served = await TryFetchAsync(origins[i], null, i < origins.Count - 1, request, expected, resolved, destination, progress, clock, failures, cancellationToken).ConfigureAwait(false);
            if (served != null) return served;
        }
        // A security failure (a mirror serving other bytes) says more than "the last mirror was down".
        SecureInstallException report = failures.Find(f => f.Kind == FailureKind.Security) ?? failures[failures.Count - 1];
        ExceptionDispatchInfo.Capture(report).Throw();
        throw report;
    }

    /// <summary>The configured mirrors of <paramref name="uris"/> first (pinned downloads only), each checked for its scheme.</summary>
    private IReadOnlyList<Uri> WithMirrors(IReadOnlyList<Uri> uris, MirrorConfiguration? mirrors)
    {
        IReadOnlyList<Uri> expanded = mirrors == null ? uris : mirrors.Expand(uris);
        if (mirrors != null)
            foreach (Uri mirror in expanded.Except(uris)) _log($"Trying the configured mirror {UriText.Redact(mirror)} (from {mirrors.Source}) first.");
        foreach (Uri uri in expanded) DownloadPreflight.CheckScheme(uri, _options.AllowInsecureTransport);
        return expanded;
    }

    /// <summary>
    /// One source of a download: the result, or null after adding its failure to <paramref name="failures"/> (the digest is
    /// pinned, so any mirror or registry may serve the file; a failing one is passed over, not trusted). A proxy that refused
    /// the credentials would refuse them for every source: that one is thrown at once.
    /// </summary>
    private async Task<DownloadResult?> TryFetchAsync(Uri uri, RegistrySource? registry, bool more, DownloadRequest request, ChecksumEntry? expected, ExpectedDigest resolved,
        string destination, IProgress<DownloadProgress>? progress, Stopwatch clock, List<SecureInstallException> failures, CancellationToken cancellationToken)
    {
        try
        {
            // Each attempt and each resume asks for the header again: a registry's bearer token may expire mid-download (issue 20).
            RequestAuthorization? authorization = registry != null
                ? _registries.AuthorizationFor(registry)
                : RequestAuthorization.Fixed(DownloadTransport.Bearer(DownloadTransport.TokenFor(request, uri)));
            // Asked once before any file is made: a registry that refuses the credentials or cannot be reached is passed over here.
            bool withCredentials = authorization != null && await authorization.CurrentAsync(cancellationToken).ConfigureAwait(false) != null;
            DownloadResult result = await FetchArtifactAsync(uri, authorization, withCredentials, request, expected, resolved.ArtifactSignature, destination, progress, clock, cancellationToken).ConfigureAwait(false);
            if (resolved.DigestSignature != null) result.Signature = resolved.DigestSignature;
            result.Signature ??= resolved.ListSignature;
            await AddToCacheAsync(result, expected, cancellationToken).ConfigureAwait(false);
            return result;
        }
        catch (SecureInstallException ex) when (ex is not ProxyAuthenticationRequiredException)
        {
            failures.Add(ex);
            _log($"{UriText.Redact(uri)} failed ({ex.ErrorId}){(more ? "; trying the next mirror" : "")}.");
            return null;
        }
    }

    /// <summary>
    /// Fetches a small document (a checksum list, a signature, a Sigstore bundle) into memory, refusing it before the bytes are
    /// kept once it passes <paramref name="maximumBytes"/> (<see cref="SizeLimitExceededException"/>), and refusing an HTML
    /// page. The same transport rules as a download: HTTPS (or file://) only, redirects checked, retries.
    /// </summary>
    /// <param name="what">Names the document in the log ("Fetching the {what} {uri}.").</param>
    /// <param name="token">Sent as a bearer token to <paramref name="uri"/>'s own origin only, never after a redirect elsewhere.</param>
    public Task<byte[]> FetchSmallAsync(Uri uri, long maximumBytes, string what = "document", string? token = null, CancellationToken cancellationToken = default)
    {
        if (uri == null) throw new ArgumentNullException(nameof(uri));
        if (!uri.IsAbsoluteUri) throw new InvalidUriException(uri, "The URI");
        if (maximumBytes <= 0) throw new ArgumentOutOfRangeException(nameof(maximumBytes), "The limit must be positive.");
        return _transport.FetchSmallAsync(uri, token, what ?? "document", maximumBytes, cancellationToken);
    }

    /// <summary>
    /// <see cref="FetchSmallAsync"/> for a read-only JSON query that must be POSTed (Rekor's index search): the same
    /// transport rules, caps and retries; a redirect is refused rather than followed.
    /// </summary>
    public Task<byte[]> QuerySmallAsync(Uri uri, byte[] json, long maximumBytes, string what, CancellationToken cancellationToken = default)
    {
        if (uri == null) throw new ArgumentNullException(nameof(uri));
        if (json == null) throw new ArgumentNullException(nameof(json));
        if (!uri.IsAbsoluteUri || uri.IsFile) throw new InvalidUriException(uri, "The query URI");
        if (maximumBytes <= 0) throw new ArgumentOutOfRangeException(nameof(maximumBytes), "The limit must be positive.");
        return _transport.FetchSmallAsync(uri, null, what ?? "query", maximumBytes, cancellationToken, json);
    }

    /// <summary>
    /// Downloads many artifacts, <paramref name="throttleLimit"/> at a time. One failure does not stop the others:
    /// each outcome holds a result or an exception, in input order. <paramref name="progress"/> sums all transfers.
    /// </summary>
    public async Task<IReadOnlyList<DownloadOutcome>> DownloadManyAsync(IReadOnlyList<DownloadRequest> requests, int throttleLimit = 4,
        IProgress<BatchProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (requests == null) throw new ArgumentNullException(nameof(requests));
        if (throttleLimit < 1) throw new ArgumentOutOfRangeException(nameof(throttleLimit));
        var outcomes = new DownloadOutcome[requests.Count];
        var tracker = new BatchTracker(requests.Count, progress);
        var destinations = new HashSet<string>(Path.DirectorySeparatorChar == '\\' ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);
        using var gate = new SemaphoreSlim(throttleLimit);
        var tasks = new List<Task>(requests.Count);
        for (int i = 0; i < requests.Count; i++)
        {
            int index = i;
            DownloadRequest request = requests[i];
            if (!destinations.Add(Path.GetFullPath(request.Destination)))
            {
                outcomes[index] = new DownloadOutcome(request, null,
                    new ArgumentException($"'{request.Destination}' is the destination of an earlier download in the same batch."));
                tracker.Complete(index);
                continue;
            }
            tasks.Add(Task.Run(async () =>
            {
                await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    var itemProgress = new CallbackProgress<DownloadProgress>(p => tracker.Update(index, p));
                    DownloadResult result = await DownloadAsync(request, itemProgress, cancellationToken).ConfigureAwait(false);
                    outcomes[index] = new DownloadOutcome(request, result, null);
                }
                catch (Exception ex) when (!(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
                {
                    outcomes[index] = new DownloadOutcome(request, null, ex);
                }
                finally
                {
                    gate.Release();
                    tracker.Complete(index);
                }
            }, cancellationToken));
        }
        await Task.WhenAll(tasks).ConfigureAwait(false);
        tracker.Flush();
        return outcomes;
    }

    public void Dispose()
    {
        _transport.Dispose();
        _registries.Dispose();
    }

    private static string SourceText(ChecksumEntry entry) => ExpectedDigestResolver.SourceText(entry);

    private async Task AddToCacheAsync(DownloadResult result, ChecksumEntry? expected, CancellationToken cancellationToken)
    {
        if (_cache == null || !result.Verified) return;
        try
        {
            await _cache.AddAsync(result.Path, result.Sha256, cancellationToken).ConfigureAwait(false);
            _log($"Cached as {_cache.PathFor(result.Sha256)}.");
            // A file pinned by SHA-512 alone (a module's .nupkg) is looked up by that digest: give the entry that name too.
            if (expected is { Algorithm: ChecksumAlgorithm.SHA512 })
            {
                await _cache.AddAsync(result.Path, ChecksumAlgorithm.SHA512, expected.Digest, cancellationToken).ConfigureAwait(false);
                _log($"Cached as {_cache.PathFor(ChecksumAlgorithm.SHA512, expected.Digest)} as well (its pin is a SHA-512).");
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The file is verified and in place; a cache that cannot be written costs a later download, nothing more.
            _log($"Could not add the file to the cache ({ex.Message}).");
        }
    }

    private async Task<DownloadResult> FetchArtifactAsync(Uri uri, RequestAuthorization? authorization, bool withCredentials, DownloadRequest request, ChecksumEntry? expected, byte[]? signature, string destination,
        IProgress<DownloadProgress>? progress, Stopwatch clock, CancellationToken cancellationToken)
    {
        _log($"Downloading {UriText.Redact(uri)} to {destination}.");
        // A download made with a token (or a private registry's credentials) is private: 0600 from the moment it exists.
        using AtomicFile file = AtomicFile.Create(destination, privateFile: request.Token != null || withCredentials);
        IReadOnlyList<ChecksumEntry> companions = expected?.Companions ?? Array.Empty<ChecksumEntry>();
        // With no pin, a bundle vouches for the bytes received by whichever digest it names (an npm subject's sha512, a
        // hashedrekord entry's SHA-384 or SHA-512): they are computed in the same pass as the SHA-256.
        IReadOnlyList<ChecksumAlgorithm> received = expected == null && request.DigestCheck != null
            ? Signatures.Sigstore.SigstoreArtifact.SubjectAlgorithms.Where(a => a != ChecksumAlgorithm.SHA256).ToList()
            : Array.Empty<ChecksumAlgorithm>();
        using var sink = new DigestSink(file.Stream, expected?.Algorithm, _options.FlushToDisk, expected != null ? companions.Select(c => c.Algorithm).ToList() : received);
        bool checkHtml = !LooksLikeHtmlName(request.LookupName) && !LooksLikeHtmlName(destination);
        // A size the checksum list states (Debian Release) is held like one the caller gave.
        long? expectedSize = request.ExpectedSize ?? expected?.Size;
        long limit = Math.Min(_options.MaximumSize, request.MaximumSize ?? long.MaxValue);
        FetchInfo info;
        try
        {
            info = await _transport.FetchIntoAsync(uri, authorization, sink, limit, expectedSize, checkHtml, progress, cancellationToken).ConfigureAwait(false);
        }
        catch (SizeLimitExceededException ex) when (limit < _options.MaximumSize)
        {
            throw new SizeLimitExceededException(uri, ex.Limit, ex.Seen, "That is the limit for this kind of file (a NuGet package's, for one), not -MaximumSize's: no genuine file of its kind is larger.");
        }

        if (expectedSize.HasValue && expectedSize.Value != sink.Length)
            throw new SizeMismatchException(uri, expectedSize.Value, sink.Length);
        (string sha256, string actual) = sink.Finish();
        if (expected != null && !Hex.DigestEquals(actual, expected.Digest))
            throw new ChecksumMismatchException(UriText.Redact(uri), expected.Algorithm, expected.Digest, actual, SourceText(expected));
        string[] companionDigests = sink.FinishCompanions();
        for (int i = 0; i < companions.Count && expected != null; i++)
        {
            if (!Hex.DigestEquals(companionDigests[i], companions[i].Digest))
                throw new ChecksumMismatchException(UriText.Redact(uri), companions[i].Algorithm, companions[i].Digest, companionDigests[i], SourceText(companions[i]),
                    $"its {expected!.Algorithm} matches {SourceText(expected)}, but the two digests of one source disagree, so neither proves anything");
        }
        SignatureResult? signed = null;
        if (signature != null)
        {
            // The bytes checked are the temporary file's, read back before the rename: what is placed is what was verified.
            file.Stream.Flush();
            file.Stream.Position = 0;
            _log($"Verifying the artifact against {UriText.Redact(request.SignatureUri!)} with {request.SignatureVerifier!.TrustedKeyDescription}.");
            signed = request.SignatureVerifier.Verify(file.Stream, UriText.Redact(uri), new MemoryStream(signature, writable: false), UriText.Redact(request.SignatureUri!), cancellationToken);
            _log($"The artifact's {signed.Scheme} signature is valid: key {signed.KeyId}{(signed.Signer != null ? " (" + signed.Signer + ")" : "")}.");
        }
        if (request.DigestCheck != null && expected == null)
        {
            // No pinned digest: the bundle vouches for the bytes just received, before they are placed.
            ChecksumEntry bytesReceived = ChecksumEntry.FromDigest(sha256, ChecksumAlgorithm.SHA256, "the bytes received")
                .WithCompanions(received.Select((a, i) => ChecksumEntry.FromDigest(companionDigests[i], a, "the bytes received")));
            signed = request.DigestCheck(bytesReceived, cancellationToken);
            _log($"The artifact's digest is vouched for by a {signed.Scheme} bundle: {signed.Signer ?? signed.KeyId}.");
        }
        SignatureResult? authenticode = StagedAuthenticode.Check(request, file, _options.FlushToDisk, uri, _log, cancellationToken);
        file.Commit(_options.FlushToDisk);
        bool verified = expected != null || signed != null || authenticode != null;
        _log(verified
            ? $"Verified {(expected != null ? expected.Algorithm + " " + actual : "the signature")}; placed {destination}."
            : $"Placed {destination} without verification; its SHA-256 is {sha256}.");
        string source = expected != null ? SourceText(expected)
            : signed != null ? $"{signed.Scheme} signature {UriText.Redact(request.SignatureUri!)}"
            : authenticode != null ? $"Authenticode signature by thumbprint {authenticode.Fingerprint}" : "none";
        return new DownloadResult(destination, uri, info.FinalUri, sha256, sink.Length, source,
            verified, fromCache: false, clock.Elapsed, info.Redirects, info.Attempts) { Signature = signed ?? authenticode };
    }

    private static bool LooksLikeHtmlName(string name) =>
        name.EndsWith(".html", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".htm", StringComparison.OrdinalIgnoreCase)
        || name.EndsWith(".xhtml", StringComparison.OrdinalIgnoreCase);
}

