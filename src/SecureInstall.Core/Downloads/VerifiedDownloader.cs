using System;
using System.Buffers;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Runtime.ExceptionServices;
using System.Security.Authentication;
using System.Threading;
using System.Threading.Tasks;
using SecureInstall.Core.Checksums;
using SecureInstall.Core.Signatures;
using SecureInstall.Core.IO;

namespace SecureInstall.Core.Downloads;

/// <summary>
/// Fetches an artifact in one pass: the bytes stream to a temporary file beside the destination while they are
/// hashed and counted, and the file is renamed into place only when its digest (and size) match. Any failure
/// leaves the destination as it was and no temporary file behind.
/// </summary>
public sealed class VerifiedDownloader : IDisposable
{

    /// <summary>A response body is read with blocking reads while more than this is still to come (see ReadsBlocking).</summary>
    private const long BlockingReadMargin = 4L * 1024 * 1024;
    private readonly VerifiedDownloaderOptions _options;
    private readonly HttpClient _client;
    private readonly ArtifactCache? _cache;
    private readonly Random _jitter = new();
    private volatile bool _cacheTrusted;

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
        _client = new HttpClient(handler ?? CreateHandler(_options), disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        _client.DefaultRequestHeaders.UserAgent.ParseAdd(_options.UserAgent);
        _cache = _options.NoCache ? null : new ArtifactCache(_options.CacheDirectory ?? ArtifactCache.DefaultDirectory());
    }

    public VerifiedDownloaderOptions Options => _options;

    /// <summary>The cache in use, or null with <see cref="VerifiedDownloaderOptions.NoCache"/>.</summary>
    public ArtifactCache? Cache => _cache;

    private static HttpMessageHandler CreateHandler(VerifiedDownloaderOptions options)
    {
        var handler = new HttpClientHandler
        {
            // Redirects are followed by hand: to cap them, refuse https→http and drop the token on a host change.
            AllowAutoRedirect = false,
            // The digest is of the bytes as published; never let a transfer encoding change them.
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            UseDefaultCredentials = false,
            UseProxy = options.UseProxy || options.Proxy != null,
        };
        if (options.Proxy != null) handler.Proxy = options.Proxy;
        if (HostRuntime.IsNetFramework)
        {
            // Windows PowerShell 5.1 defaults to SSL3/TLS 1.0 unless told otherwise; add TLS 1.2 to the process-wide set
            // (adding, not replacing, so other code in the session keeps working).
            ServicePointManager.SecurityProtocol |= SecurityProtocolType.Tls12;
        }
        try
        {
            // TLS 1.3 (0x3000) is missing from netstandard2.0's enum; on .NET Framework it fails where the OS lacks it.
            handler.SslProtocols = HostRuntime.IsNetFramework ? SslProtocols.Tls12 : SslProtocols.Tls12 | (SslProtocols)0x3000;
        }
        catch (PlatformNotSupportedException)
        {
        }
        if (options.ServerCertificateValidation != null)
            handler.ServerCertificateCustomValidationCallback = options.ServerCertificateValidation;
        return handler;
    }

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
        foreach (Uri uri in request.Uris) CheckScheme(uri);
        DownloadPreflight.Check(request, destination);
        // Before any byte moves: a cache another user controls is refused, not read or filled (issue 17).
        // Once per downloader, not per file: a batch of a thousand rows would otherwise walk the cache's folders a thousand times.
        if (_cache != null && !request.SkipVerification && !_cacheTrusted)
        {
            _cache.EnsureTrusted(Log);
            _cacheTrusted = true;
        }

        (ChecksumEntry? expected, SignatureResult? listSignature, byte[]? artifactSignature) =
            await ResolveExpectedAsync(request, cancellationToken).ConfigureAwait(false);
        if (expected == null && artifactSignature == null && request.DigestCheck == null)
        {
            if (!request.SkipVerification) throw new VerificationRequiredException(request.Uris[0]);
            Log("No digest to check (verification skipped): the file will be kept whatever it hashes to.");
        }
        else if (expected != null)
        {
            if (ChecksumAlgorithms.IsWeak(expected.Algorithm) && !_options.AllowWeakAlgorithm)
                throw new WeakAlgorithmException(expected.Algorithm, UriText.Redact(request.Uris[0]));
            Log($"Expected {expected.Algorithm} {expected.Digest} from {SourceText(expected)}.");
        }

        SignatureResult? digestSignature = null;
        if (request.DigestCheck != null && expected != null)
        {
            // A pinned digest can be checked against the bundle before any byte moves; the bytes are then held to that digest.
            digestSignature = request.DigestCheck(expected, cancellationToken);
            Log($"The pinned digest is vouched for by a {digestSignature.Scheme} bundle: {digestSignature.Signer ?? digestSignature.KeyId}.");
        }

        // A list giving the file a second digest is checked on the bytes as they arrive; a cache hit re-hashes SHA-256 only.
        if (expected != null && expected.Algorithm == ChecksumAlgorithm.SHA256 && expected.Companions.Count == 0 && _cache != null && artifactSignature == null)
        {
            DownloadResult? hit = await TryFromCacheAsync(request, expected, destination, progress, clock, cancellationToken).ConfigureAwait(false);
            if (hit != null)
            {
                hit.Signature = digestSignature ?? listSignature;
                return hit;
            }
        }

        IReadOnlyList<Uri> uris = request.Uris;
        if (expected != null)
        {
            // Configured mirrors only ever serve pinned downloads: the digest, not the mirror, is what is trusted.
            MirrorConfiguration mirrors = _options.Mirrors ?? MirrorConfiguration.Load(MirrorConfiguration.DefaultPath());
            uris = mirrors.Expand(request.Uris);
            foreach (Uri mirror in uris.Except(request.Uris)) Log($"Trying the configured mirror {UriText.Redact(mirror)} (from {mirrors.Source}) first.");
            foreach (Uri uri in uris) CheckScheme(uri);
        }

        var failures = new List<SecureInstallException>();
        foreach (Uri uri in uris)
        {
            try
            {
                DownloadResult result = await FetchArtifactAsync(uri, request, expected, artifactSignature, destination, progress, clock, cancellationToken).ConfigureAwait(false);
                if (digestSignature != null) result.Signature = digestSignature;
                result.Signature ??= listSignature;
                await AddToCacheAsync(result, cancellationToken).ConfigureAwait(false);
                return result;
            }
            catch (SecureInstallException ex) when (uris.Count > 1 && ex is not ProxyAuthenticationRequiredException)
            {
                // The digest is pinned, so any mirror may serve the file; a failing one is passed over, not trusted.
                // A proxy that refused the credentials would refuse them for every mirror: that one stops here.
                failures.Add(ex);
                Log($"{UriText.Redact(uri)} failed ({ex.ErrorId}){(failures.Count < uris.Count ? "; trying the next mirror" : "")}.");
            }
        }
        // A security failure (a mirror serving other bytes) says more than "the last mirror was down".
        SecureInstallException report = failures.Find(f => f.Kind == FailureKind.Security) ?? failures[failures.Count - 1];
        ExceptionDispatchInfo.Capture(report).Throw();
        throw report;
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

    public void Dispose() => _client.Dispose();

    private void CheckScheme(Uri uri)
    {
        if (uri.IsFile || uri.Scheme == Uri.UriSchemeHttps) return;
        if (uri.Scheme == Uri.UriSchemeHttp && _options.AllowInsecureTransport) return;
        throw new InsecureTransportException(uri);
    }

    /// <summary>Every log line goes through the one redaction: a URL in it (a redirect, a proxy in an error) loses its secrets.</summary>
    private void Log(string message) => _options.Log?.Invoke(UriText.RedactText(message));

    private static string SourceText(ChecksumEntry entry) => entry.LineNumber > 0 ? $"{entry.Source}:{entry.LineNumber}" : entry.Source;

    /// <summary>
    /// The expected digest, and the signature work: a list's signature is verified here, before any digest in it is
    /// trusted; an artifact's signature is fetched here (before the artifact, so a missing one fails fast) and
    /// verified on the downloaded bytes before they are placed.
    /// </summary>
    private async Task<(ChecksumEntry? Expected, SignatureResult? ListSignature, byte[]? ArtifactSignature)> ResolveExpectedAsync(
        DownloadRequest request, CancellationToken cancellationToken)
    {
        int sources = (request.Expected != null ? 1 : 0) + (request.ChecksumUri != null ? 1 : 0) + (request.ChecksumFile != null ? 1 : 0);
        if (sources > 1) throw new ArgumentException("Give exactly one source for the expected digest: a digest, a checksum list URI or a checksum list file.", nameof(request));
        if ((sources == 1 || request.SignatureVerifier != null) && request.SkipVerification)
            throw new ArgumentException("SkipVerification cannot be combined with an expected digest or a signature.", nameof(request));
        if (request.SignatureUri != null && request.SignatureVerifier == null)
            throw new ArgumentException("A signature URI needs the trusted key to check it with (a signature verifier).", nameof(request));
        bool hasList = request.ChecksumUri != null || request.ChecksumFile != null;
        if (request.SignatureVerifier != null && request.SignatureUri == null && !hasList)
            throw new ArgumentException("A signature key needs a signature URI, or a clear-signed checksum list.", nameof(request));

        byte[]? signature = null;
        string? signatureName = null;
        if (request.SignatureUri != null)
        {
            signatureName = UriText.Redact(request.SignatureUri);
            signature = await FetchSmallAsync(request, request.SignatureUri, "signature", DetachedSignatureVerifier.MaximumSignatureBytes, cancellationToken).ConfigureAwait(false);
        }
        if (!hasList) return (request.Expected, null, signature);

        byte[] listBytes;
        string listName;
        if (request.ChecksumFile != null)
        {
            listName = request.ChecksumFile;
            using FileStream stream = new(request.ChecksumFile, FileMode.Open, FileAccess.Read, FileShare.Read);
            listBytes = DetachedSignatureVerifier.ReadSmall(stream, listName, (int)ChecksumListParser.DefaultMaximumBytes,
                reason => new ChecksumListFormatException(listName, 0, reason));
        }
        else
        {
            listName = UriText.Redact(request.ChecksumUri!);
            listBytes = await FetchSmallAsync(request, request.ChecksumUri!, "checksum list", ChecksumListParser.DefaultMaximumBytes, cancellationToken).ConfigureAwait(false);
        }

        if (request.SignatureVerifier == null)
            return (new ChecksumListParser().Parse(new MemoryStream(listBytes, writable: false), listName, cancellationToken).Find(request.LookupName, null), null, null);

        Log($"Verifying the checksum list {listName} against {(signatureName ?? "its clear-signature")} with {request.SignatureVerifier.TrustedKeyDescription}.");
        VerifiedChecksumList verified = new SignedChecksumListReader(request.SignatureVerifier).Read(
            new MemoryStream(listBytes, writable: false), listName, signature == null ? null : new MemoryStream(signature, writable: false), signatureName, cancellationToken);
        Log($"The checksum list's {verified.Signature.Scheme} signature is valid: key {verified.Signature.KeyId}{(verified.Signature.Signer != null ? " (" + verified.Signature.Signer + ")" : "")}.");
        return (verified.List.Find(request.LookupName, null), verified.Signature, null);
    }

    /// <summary>Fetches a small companion file (a checksum list, a signature) into memory, capped, refusing an HTML page.</summary>
    private async Task<byte[]> FetchSmallAsync(DownloadRequest request, Uri uri, string what, long maximum, CancellationToken cancellationToken)
    {
        CheckScheme(uri);
        Log($"Fetching the {what} {UriText.Redact(uri)}.");
        using var buffer = new MemoryStream();
        using (var sink = new DigestSink(buffer, null))
        {
            await FetchIntoAsync(uri, TokenFor(request, uri), sink, maximum, null, checkHtml: true, null, cancellationToken).ConfigureAwait(false);
        }
        return buffer.ToArray();
    }

    /// <summary>The token is bound to the origin of the request's first URI: mirrors and lists elsewhere never see it.</summary>
    private static string? TokenFor(DownloadRequest request, Uri target) =>
        request.Token != null && Origin(target) == Origin(request.Uris[0]) ? request.Token : null;

    private static string Origin(Uri uri) => uri.Scheme + "://" + uri.IdnHost.ToLowerInvariant() + ":" + uri.Port;

    private async Task<DownloadResult?> TryFromCacheAsync(DownloadRequest request, ChecksumEntry expected, string destination,
        IProgress<DownloadProgress>? progress, Stopwatch clock, CancellationToken cancellationToken)
    {
        string cached = _cache!.PathFor(expected.Digest);
        ArtifactCache.EntryState state = _cache.Inspect(expected.Digest, out string? reason);
        if (state == ArtifactCache.EntryState.Missing)
        {
            Log($"Cache miss for sha256:{expected.Digest}.");
            return null;
        }
        if (state == ArtifactCache.EntryState.Untrusted) return Distrusted(cached, expected.Digest, reason!);
        if (state == ArtifactCache.EntryState.Trusted)
        {
            DownloadResult? linked = await TryLinkFromCacheAsync(request, expected, destination, cached, progress, clock, cancellationToken).ConfigureAwait(false);
            if (linked != null || !File.Exists(cached)) return linked;
        }
        FileStream source;
        try
        {
            source = FileHasher.OpenRead(cached);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            Log($"Cache miss for sha256:{expected.Digest}.");
            return null;
        }
        using (source)
        {
            // Opening follows a link that may have replaced the entry since it was inspected: check what was opened.
            if (ArtifactCache.Distrust(source, cached) is string swapped)
            {
                source.Dispose();
                return Distrusted(cached, expected.Digest, swapped);
            }
            // A copy: the bytes placed are a new file, hashed as they are written.
            using AtomicFile file = AtomicFile.Create(destination, privateFile: request.Token != null);
            using var sink = new DigestSink(file.Stream, null, _options.FlushToDisk);
            var cacheUri = new Uri(cached);
            await CopyAsync(source, sink, source.Length, _options.MaximumSize, cacheUri, progress, null, cancellationToken).ConfigureAwait(false);
            (string sha256, _) = sink.Finish();
            if (!Hex.DigestEquals(sha256, expected.Digest))
            {
                // A cache entry is re-hashed on every use; a bad one is dropped and the file fetched again.
                Log($"The cache entry {cached} hashes to {sha256}, not {expected.Digest}; evicting it and downloading.");
                file.Dispose();
                source.Dispose();
                _cache.Evict(expected.Digest);
                return null;
            }
            if (request.ExpectedSize.HasValue && request.ExpectedSize.Value != sink.Length)
                throw new SizeMismatchException(request.Uris[0], request.ExpectedSize.Value, sink.Length);
            file.Commit(_options.FlushToDisk);
            Log($"Cache hit: served {destination} from {cached} (copied and re-hashed, no network).");
            return new DownloadResult(destination, request.Uris[0], cacheUri, sha256, sink.Length, SourceText(expected), verified: true,
                fromCache: true, clock.Elapsed, Array.Empty<Uri>(), attempts: 0);
        }
    }

    /// <summary>An entry that is a link, or a file someone else can change, is a miss: evicted where possible, and said so.</summary>
    private DownloadResult? Distrusted(string cached, string digest, string reason)
    {
        bool evicted = _cache!.Evict(digest);
        Log($"The cache entry {cached} is {reason}; it is not used ({(evicted ? "evicted" : "it could not be evicted")}). Cache miss for sha256:{digest}.");
        return null;
    }

    /// <summary>
    /// A cache hit on the same volume: the entry is hard-linked beside the destination, hashed there, and renamed into
    /// place, so a 1 GiB hit costs one read and hash instead of a copy and a flush. Only an entry only this user (or root)
    /// can change is linked (<see cref="ArtifactCache.Inspect"/>), and the linked file is checked again through the handle
    /// it is hashed with, in case the cache name was swapped meanwhile: nobody else can change the bytes once hashed.
    /// Null when linking is not possible (the caller copies) or the entry is bad (evicted).
    /// </summary>
    private async Task<DownloadResult?> TryLinkFromCacheAsync(DownloadRequest request, ChecksumEntry expected, string destination, string cached,
        IProgress<DownloadProgress>? progress, Stopwatch clock, CancellationToken cancellationToken)
    {
        string? temporary = _cache!.TryLinkOut(expected.Digest, destination);
        if (temporary == null) return null;
        try
        {
            var cacheUri = new Uri(cached);
            string sha256;
            long size;
            using (FileStream linked = FileHasher.OpenRead(temporary))
            {
                if (ArtifactCache.Distrust(linked, temporary) is string reason)
                {
                    linked.Dispose();
                    File.Delete(temporary);
                    return Distrusted(cached, expected.Digest, reason);
                }
                size = linked.Length;
                var rate = new RateMeter();
                rate.Start(0);
                IProgress<long>? bytes = progress == null ? null : new CallbackProgress<long>(done =>
                {
                    if (rate.Due() || done == size) progress.Report(new DownloadProgress(cacheUri, done, size, rate.BytesPerSecond(done)));
                });
                sha256 = await Task.Run(() => FileHasher.Hash(linked, ChecksumAlgorithm.SHA256, bytes, cancellationToken), cancellationToken).ConfigureAwait(false);
            }
            if (!Hex.DigestEquals(sha256, expected.Digest))
            {
                Log($"The cache entry {cached} hashes to {sha256}, not {expected.Digest}; evicting it and downloading.");
                File.Delete(temporary);
                _cache.Evict(expected.Digest);
                return null;
            }
            if (request.ExpectedSize.HasValue && request.ExpectedSize.Value != size)
                throw new SizeMismatchException(request.Uris[0], request.ExpectedSize.Value, size);
            try
            {
                AtomicFile.MoveIntoPlace(temporary, destination);
            }
            catch (IOException ex)
            {
                // ReplaceFile refuses some cases a copy handles, e.g. a destination that already is this entry.
                Log($"Could not link from the cache ({ex.Message}); copying instead.");
                return null;
            }
            Log($"Cache hit: linked {destination} to {cached} (a file only you can change; re-hashed, no network).");
            return new DownloadResult(destination, request.Uris[0], cacheUri, sha256, size, SourceText(expected), verified: true,
                fromCache: true, clock.Elapsed, Array.Empty<Uri>(), attempts: 0);
        }
        finally
        {
            // Whatever it is now (File.Exists would follow a link).
            BestEffort.DeleteFile(temporary);
        }
    }

    private async Task AddToCacheAsync(DownloadResult result, CancellationToken cancellationToken)
    {
        if (_cache == null || !result.Verified) return;
        try
        {
            await _cache.AddAsync(result.Path, result.Sha256, cancellationToken).ConfigureAwait(false);
            Log($"Cached as {_cache.PathFor(result.Sha256)}.");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The file is verified and in place; a cache that cannot be written costs a later download, nothing more.
            Log($"Could not add the file to the cache ({ex.Message}).");
        }
    }

    private async Task<DownloadResult> FetchArtifactAsync(Uri uri, DownloadRequest request, ChecksumEntry? expected, byte[]? signature, string destination,
        IProgress<DownloadProgress>? progress, Stopwatch clock, CancellationToken cancellationToken)
    {
        Log($"Downloading {UriText.Redact(uri)} to {destination}.");
        // A download made with a token is private: 0600 from the moment it exists.
        using AtomicFile file = AtomicFile.Create(destination, privateFile: request.Token != null);
        IReadOnlyList<ChecksumEntry> companions = expected?.Companions ?? Array.Empty<ChecksumEntry>();
        using var sink = new DigestSink(file.Stream, expected?.Algorithm, _options.FlushToDisk, companions.Select(c => c.Algorithm).ToList());
        bool checkHtml = !LooksLikeHtmlName(request.LookupName) && !LooksLikeHtmlName(destination);
        // A size the checksum list states (Debian Release) is held like one the caller gave.
        long? expectedSize = request.ExpectedSize ?? expected?.Size;
        FetchInfo info = await FetchIntoAsync(uri, TokenFor(request, uri), sink, _options.MaximumSize, expectedSize, checkHtml, progress, cancellationToken)
            .ConfigureAwait(false);

        if (expectedSize.HasValue && expectedSize.Value != sink.Length)
            throw new SizeMismatchException(uri, expectedSize.Value, sink.Length);
        (string sha256, string actual) = sink.Finish();
        if (expected != null && !Hex.DigestEquals(actual, expected.Digest))
            throw new ChecksumMismatchException(UriText.Redact(uri), expected.Algorithm, expected.Digest, actual, SourceText(expected));
        string[] companionDigests = sink.FinishCompanions();
        for (int i = 0; i < companions.Count; i++)
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
            Log($"Verifying the artifact against {UriText.Redact(request.SignatureUri!)} with {request.SignatureVerifier!.TrustedKeyDescription}.");
            signed = request.SignatureVerifier.Verify(file.Stream, UriText.Redact(uri), new MemoryStream(signature, writable: false), UriText.Redact(request.SignatureUri!), cancellationToken);
            Log($"The artifact's {signed.Scheme} signature is valid: key {signed.KeyId}{(signed.Signer != null ? " (" + signed.Signer + ")" : "")}.");
        }
        if (request.DigestCheck != null && expected == null)
        {
            // No pinned digest: the bundle vouches for the bytes just received, before they are placed.
            signed = request.DigestCheck(ChecksumEntry.FromDigest(sha256, ChecksumAlgorithm.SHA256, "the bytes received"), cancellationToken);
            Log($"The artifact's digest is vouched for by a {signed.Scheme} bundle: {signed.Signer ?? signed.KeyId}.");
        }
        file.Commit(_options.FlushToDisk);
        Log(expected != null || signed != null
            ? $"Verified {(expected != null ? expected.Algorithm + " " + actual : "the signature")}; placed {destination}."
            : $"Placed {destination} without verification; its SHA-256 is {sha256}.");
        string source = expected != null ? SourceText(expected) : signed != null ? $"{signed.Scheme} signature {UriText.Redact(request.SignatureUri!)}" : "none";
        return new DownloadResult(destination, uri, info.FinalUri, sha256, sink.Length, source,
            verified: expected != null || signed != null, fromCache: false, clock.Elapsed, info.Redirects, info.Attempts) { Signature = signed };
    }

    private static bool LooksLikeHtmlName(string name) =>
        name.EndsWith(".html", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".htm", StringComparison.OrdinalIgnoreCase)
        || name.EndsWith(".xhtml", StringComparison.OrdinalIgnoreCase);

    private sealed class FetchInfo
    {
        public FetchInfo(Uri finalUri, IReadOnlyList<Uri> redirects, int attempts)
        {
            FinalUri = finalUri;
            Redirects = redirects;
            Attempts = attempts;
        }

        public Uri FinalUri { get; }
        public IReadOnlyList<Uri> Redirects { get; }
        public int Attempts { get; }
    }

    /// <summary>A failure worth another attempt: the connection broke, timed out or stalled, or the server said "later".</summary>
    private sealed class TransientFailure : Exception
    {
        public TransientFailure(string reason, int? statusCode = null, TimeSpan? retryAfter = null, bool stalled = false, Exception? inner = null)
            : base(reason, inner)
        {
            StatusCode = statusCode;
            RetryAfter = retryAfter;
            Stalled = stalled;
        }

        public int? StatusCode { get; }
        public TimeSpan? RetryAfter { get; }
        public bool Stalled { get; }
    }

    /// <summary>Streams <paramref name="uri"/> into <paramref name="sink"/>, with redirects, retries and resume.</summary>
    private async Task<FetchInfo> FetchIntoAsync(Uri uri, string? token, DigestSink sink, long maximumSize, long? expectedSize, bool checkHtml,
        IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        if (uri.IsFile) return await FetchFileIntoAsync(uri, sink, maximumSize, expectedSize, checkHtml, progress, cancellationToken).ConfigureAwait(false);

        int attempts = 0, retries = 0;
        RangeConditionHeaderValue? validator = null;
        bool acceptsRanges = false;
        var rate = new RateMeter();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            bool resume = sink.Length > 0 && acceptsRanges && validator != null;
            if (sink.Length > 0 && !resume)
            {
                Log("The server does not support resuming; starting again from byte 0.");
                sink.Reset();
            }
            attempts++;
            using var watch = new StallWatch(_options.StallTimeout, cancellationToken);
            try
            {
                (HttpResponseMessage response, Uri finalUri, List<Uri> redirects) =
                    await SendAsync(uri, token, resume ? sink.Length : null, resume ? validator : null, watch, cancellationToken).ConfigureAwait(false);
                using (response)
                using (watch.OnStall(response.Dispose))
                {
                    int status = (int)response.StatusCode;
                    if (status == 408 || status == 429 || status >= 500)
                        throw new TransientFailure($"HTTP {status} {response.ReasonPhrase}", status, RetryAfter(response));
                    if (status == 416 && resume)
                    {
                        sink.Reset();
                        validator = null;
                        throw new TransientFailure("the server refused the resume range (416)", status, TimeSpan.Zero);
                    }
                    if (status < 200 || status > 299)
                        throw new DownloadFailedException(uri, status, $"the server answered HTTP {status} {response.ReasonPhrase}.", attempts);

                    if (resume && status == 206)
                    {
                        long? start = response.Content.Headers.ContentRange?.From;
                        if (start != sink.Length)
                        {
                            sink.Reset();
                            throw new TransientFailure($"the server sent a range from byte {start?.ToString() ?? "?"} instead of {sink.Length}", status, TimeSpan.Zero);
                        }
                        Log($"Resuming at byte {sink.Length:N0}.");
                    }
                    else if (resume || status == 206)
                    {
                        // A server that ignores Range sends the whole file with 200: keeping our bytes would splice two copies.
                        Log($"The server answered {status} to a range request; starting again from byte 0.");
                        sink.Reset();
                        if (status == 206) throw new TransientFailure("the server sent a partial response that was not asked for", status, TimeSpan.Zero);
                    }
                    if (status == 200)
                    {
                        EntityTagHeaderValue? etag = response.Headers.ETag;
                        validator = etag != null && !etag.IsWeak ? new RangeConditionHeaderValue(etag)
                            : response.Content.Headers.LastModified is DateTimeOffset modified ? new RangeConditionHeaderValue(modified) : null;
                        acceptsRanges = response.Headers.AcceptRanges.Contains("bytes");
                    }

                    string? mediaType = response.Content.Headers.ContentType?.MediaType;
                    if (checkHtml && (string.Equals(mediaType, "text/html", StringComparison.OrdinalIgnoreCase)
                                      || string.Equals(mediaType, "application/xhtml+xml", StringComparison.OrdinalIgnoreCase)))
                        throw new UnexpectedHtmlException(uri, $"Content-Type {mediaType}");

                    long? length = response.Content.Headers.ContentLength;
                    long? total = length.HasValue ? sink.Length + length.Value : response.Content.Headers.ContentRange?.Length;
                    if (total > maximumSize) throw new SizeLimitExceededException(uri, maximumSize, total.Value);
                    if (expectedSize.HasValue && total.HasValue && total.Value != expectedSize.Value)
                        throw new SizeMismatchException(uri, expectedSize.Value, total.Value);

                    long startLength = sink.Length;
                    Stream body;
                    try
                    {
                        body = await response.Content.ReadAsStreamAsync().ConfigureAwait(false);
                    }
                    catch (Exception ex) when (IsNetworkFailure(ex, watch, cancellationToken))
                    {
                        throw Transient(ex, watch, sink.Length);
                    }
                    using (body)
                    {
                        await CopyAsync(body, sink, total, maximumSize, uri, progress, watch, cancellationToken, rate, checkHtml).ConfigureAwait(false);
                    }
                    if (length.HasValue && sink.Length - startLength < length.Value)
                        throw new TransientFailure($"the connection closed after {sink.Length:N0} of {total:N0} bytes");
                    if (checkHtml && sink.HtmlEvidence() is string evidence) throw new UnexpectedHtmlException(uri, evidence);
                    return new FetchInfo(finalUri, redirects, attempts);
                }
            }
            catch (TransientFailure failure)
            {
                if (retries >= _options.MaximumRetries)
                {
                    if (failure.Stalled) throw new DownloadStalledException(uri, _options.StallTimeout, sink.Length, attempts);
                    throw new DownloadFailedException(uri, failure.StatusCode, failure.Message + ".", attempts, failure.InnerException);
                }
                retries++;
                TimeSpan delay = failure.RetryAfter ?? Backoff(retries);
                Log($"Attempt {attempts} failed: {failure.Message}; retrying in {delay.TotalSeconds:0.##} s.");
                await _options.Delay(delay, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task<FetchInfo> FetchFileIntoAsync(Uri uri, DigestSink sink, long maximumSize, long? expectedSize, bool checkHtml,
        IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        FileStream source;
        try
        {
            source = FileHasher.OpenRead(uri.LocalPath);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new DownloadFailedException(uri, null, "the file does not exist.", 1, ex);
        }
        using (source)
        {
            long total = source.Length;
            if (total > maximumSize) throw new SizeLimitExceededException(uri, maximumSize, total);
            if (expectedSize.HasValue && total != expectedSize.Value) throw new SizeMismatchException(uri, expectedSize.Value, total);
            await CopyAsync(source, sink, total, maximumSize, uri, progress, null, cancellationToken, null, checkHtml).ConfigureAwait(false);
        }
        if (checkHtml && sink.HtmlEvidence() is string evidence) throw new UnexpectedHtmlException(uri, evidence);
        return new FetchInfo(uri, Array.Empty<Uri>(), 1);
    }

    /// <summary>
    /// Sends a GET and follows redirects by hand. Every hop is checked: no https→http, no scheme other than HTTP(S),
    /// a finite chain without loops, and the token only to the origin it was given for.
    /// </summary>
    private async Task<(HttpResponseMessage, Uri, List<Uri>)> SendAsync(Uri start, string? token, long? rangeFrom, RangeConditionHeaderValue? validator,
        StallWatch watch, CancellationToken cancellationToken)
    {
        var redirects = new List<Uri>();
        var seen = new HashSet<string>(StringComparer.Ordinal) { start.AbsoluteUri };
        Uri current = start;
        string? tokenOrigin = token != null ? Origin(start) : null;
        while (true)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, current);
            request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("identity"));
            if (tokenOrigin != null && Origin(current) == tokenOrigin)
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            if (rangeFrom.HasValue)
            {
                request.Headers.Range = new RangeHeaderValue(rangeFrom.Value, null);
                request.Headers.IfRange = validator;
            }

            HttpResponseMessage response;
            watch.Touch();
            try
            {
                response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, watch.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsNetworkFailure(ex, watch, cancellationToken))
            {
                // A 407 to the CONNECT of an https request surfaces as an exception; it is not transient: the same
                // credentials would be refused again.
                if (IsProxyAuthenticationFailure(ex)) throw new ProxyAuthenticationRequiredException(current, ExplicitProxyFor(current), ex);
                throw Transient(ex, watch, 0);
            }

            int status = (int)response.StatusCode;
            if (status == 407)
            {
                response.Dispose();
                throw new ProxyAuthenticationRequiredException(current, ExplicitProxyFor(current));
            }
            if (status is not (301 or 302 or 303 or 307 or 308)) return (response, current, redirects);

            Uri? location = response.Headers.Location;
            response.Dispose();
            if (location == null) throw new DownloadFailedException(current, status, $"HTTP {status} redirect without a Location header.", 1);
            Uri next = location.IsAbsoluteUri ? location : new Uri(current, location);
            if (next.Scheme != Uri.UriSchemeHttps && next.Scheme != Uri.UriSchemeHttp) throw new InsecureRedirectException(current, next);
            // A downgrade is refused even with AllowInsecureTransport: it only loosens URIs the caller typed.
            if (current.Scheme == Uri.UriSchemeHttps && next.Scheme == Uri.UriSchemeHttp) throw new InsecureRedirectException(current, next);
            if (!seen.Add(next.AbsoluteUri)) throw new TooManyRedirectsException(start, _options.MaximumRedirects, loop: true);
            if (redirects.Count >= _options.MaximumRedirects) throw new TooManyRedirectsException(start, _options.MaximumRedirects, loop: false);
            if (tokenOrigin != null && Origin(next) != tokenOrigin)
            {
                // Once the chain leaves the token's host it never gets the token again (CVE-2018-1000007 class of leak).
                Log($"Redirected to another host ({next.Host}); the token is not sent there.");
                tokenOrigin = null;
            }
            Log($"Redirect {status} to {UriText.Redact(next)}.");
            redirects.Add(next);
            current = next;
        }
    }

    private static bool IsNetworkFailure(Exception ex, StallWatch? watch, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested) return false;
        return ex is HttpRequestException or IOException
            || (ex is OperationCanceledException or ObjectDisposedException && watch != null && watch.Stalled);
    }

    private TransientFailure Transient(Exception ex, StallWatch? watch, long received) =>
        watch != null && watch.Stalled
            ? new TransientFailure($"no data for {_options.StallTimeout.TotalSeconds:0.#} s after {received:N0} bytes", stalled: true, inner: ex)
            : new TransientFailure(UriText.RedactText(Innermost(ex).Message), inner: ex);

    /// <summary>
    /// A 407 from the proxy: .NET 5+ reports the status on HttpRequestException.StatusCode (read by reflection, as
    /// netstandard2.0 lacks it), .NET Framework on the WebException's response.
    /// </summary>
    private static bool IsProxyAuthenticationFailure(Exception ex)
    {
        for (Exception? e = ex; e != null; e = e.InnerException)
        {
            if (e.GetType().GetProperty("StatusCode")?.GetValue(e) is HttpStatusCode status && status == HttpStatusCode.ProxyAuthenticationRequired) return true;
            if (e is WebException { Response: HttpWebResponse response } && response.StatusCode == HttpStatusCode.ProxyAuthenticationRequired) return true;
        }
        return false;
    }

    /// <summary>The explicit proxy a request to <paramref name="target"/> goes through, for messages; null for the system proxy.</summary>
    private Uri? ExplicitProxyFor(Uri target)
    {
        try
        {
            return _options.Proxy == null || _options.Proxy.IsBypassed(target) ? null : _options.Proxy.GetProxy(target);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return null;
        }
    }

    private static Exception Innermost(Exception ex)
    {
        while (ex.InnerException != null) ex = ex.InnerException;
        return ex;
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        RetryConditionHeaderValue? header = response.Headers.RetryAfter;
        TimeSpan? wait = header?.Delta ?? (header?.Date is DateTimeOffset date ? date - DateTimeOffset.UtcNow : null);
        if (wait == null) return null;
        if (wait.Value < TimeSpan.Zero) return TimeSpan.Zero;
        return wait.Value > _options.MaximumRetryAfter ? _options.MaximumRetryAfter : wait.Value;
    }

    /// <summary>Exponential backoff with "equal jitter": half the step is fixed, half random, so clients do not retry in lockstep.</summary>
    private TimeSpan Backoff(int retry)
    {
        double step = _options.InitialRetryDelay.TotalMilliseconds * Math.Pow(2, Math.Min(retry - 1, 30));
        step = Math.Min(step, _options.MaximumRetryDelay.TotalMilliseconds);
        double random;
        lock (_jitter) random = _jitter.NextDouble();
        return TimeSpan.FromMilliseconds(step / 2 + random * step / 2);
    }

    /// <summary>
    /// Copies with two pooled buffers on a thread of its own: while one chunk is hashed and written (on the sink's thread),
    /// the next is read, so the network overlaps with the hash and the disk. The size limit is enforced on every read,
    /// before the bytes are kept.
    /// </summary>
    private Task CopyAsync(Stream source, DigestSink sink, long? total, long maximumSize, Uri uri, IProgress<DownloadProgress>? progress,
        StallWatch? watch, CancellationToken cancellationToken, RateMeter? rate = null, bool checkHtml = false) =>
        DedicatedThread.RunAsync(() => Copy(source, sink, total, maximumSize, uri, progress, watch, cancellationToken, rate ?? new RateMeter(), checkHtml),
            "SecureInstall download");

    /// <remarks>
    /// A chunk is handed over once its buffer is at least half full (1 MiB by default), and each read asks for all the room
    /// left in the buffer. Measured on loopback against Kestrel: with 128 KiB chunks from 256 KiB buffers the client spent
    /// 1.2-1.5 s of system time per GiB, with 1 MiB chunks from 2 MiB buffers 0.65-0.9 s (fewer reads, fewer wake-ups
    /// and thread-pool hops), and the download took 0.74-0.96x as long.
    /// Reads block this thread (<see cref="ReadsBlocking"/>) instead of awaiting: an awaited read that waits for the network
    /// resumes on a thread-pool thread, and every idle pool thread spins (sched_yield) before it sleeps; against a
    /// sendfile server that was 0.3-0.4 CPU-s per GiB on 2 cores; with blocking reads (and the ChunkThread) the download took
    /// 0.78x the time in interleaved runs.
    /// </remarks>
    private void Copy(Stream source, DigestSink sink, long? total, long maximumSize, Uri uri, IProgress<DownloadProgress>? progress,
        StallWatch? watch, CancellationToken cancellationToken, RateMeter rate, bool checkHtml)
    {
        int size = _options.BufferSize;
        int chunkSize = size / 2;
        byte[] reading = ArrayPool<byte>.Shared.Rent(size);
        byte[] spare = ArrayPool<byte>.Shared.Rent(size);
        long position = sink.Length;
        rate.Start(position);
        CancellationToken readToken = watch?.Token ?? cancellationToken;
        try
        {
            while (true)
            {
                // Network reads return what the socket holds (often 64 KiB); gathering a larger chunk before handing it
                // to the hash-and-write thread keeps the per-chunk overhead (a wake-up of that thread) out of the profile.
                int read = 0;
                bool end = false;
                try
                {
                    while (read < chunkSize)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        watch?.Touch();
                        int n = ReadsBlocking(watch, total, position + read)
                            ? source.Read(reading, read, size - read)
                            : source.ReadAsync(reading, read, size - read, readToken).GetAwaiter().GetResult();
                        if (n == 0)
                        {
                            end = true;
                            break;
                        }
                        read += n;
                        // Throttled to a few reports a second; reported per read so a slow link counts up within a chunk.
                        if (progress != null && rate.Due()) progress.Report(new DownloadProgress(uri, position + read, total, rate.BytesPerSecond(position + read)));
                    }
                }
                catch (Exception) when (cancellationToken.IsCancellationRequested)
                {
                    // A blocking read ended by disposing the response fails with an I/O error: report the cancellation.
                    throw new OperationCanceledException(cancellationToken);
                }
                catch (Exception ex) when (watch != null && IsNetworkFailure(ex, watch, cancellationToken))
                {
                    sink.EndWrite();
                    if (read > 0 && position + read <= maximumSize)
                    {
                        // Keep what arrived before the failure: the resumed request starts after it.
                        sink.Write(reading, read);
                        position += read;
                    }
                    throw Transient(ex, watch, position);
                }
                // Waits (for at most one chunk's hash and write) for the previous chunk: its buffer is read into next.
                sink.EndWrite();
                if (read == 0) break;
                position += read;
                if (position > maximumSize) throw new SizeLimitExceededException(uri, maximumSize, position);
                if (end || (checkHtml && position - read < DigestSink.PrefixSize))
                {
                    // The last chunk (a small file's only one) is written here; so is the first when its start is checked.
                    sink.Write(reading, read);
                    if (checkHtml && position >= DigestSink.PrefixSize && position - read < DigestSink.PrefixSize
                        && sink.HtmlEvidence() is string evidence) throw new UnexpectedHtmlException(uri, evidence);
                    if (end) break;
                    continue;
                }
                sink.BeginWrite(reading, read);
                (reading, spare) = (spare, reading);
            }
            progress?.Report(new DownloadProgress(uri, position, total, rate.BytesPerSecond(position)));
        }
        finally
        {
            // A chunk still being written must finish before its buffer goes back to the pool.
            try { sink.EndWrite(); } catch { /* the first failure is already propagating */ }
            ArrayPool<byte>.Shared.Return(reading);
            ArrayPool<byte>.Shared.Return(spare);
        }
    }

    /// <summary>
    /// Whether the next read may block without a cancellation token: always for a file (the loop checks the token between
    /// reads); for a response body only while more than <see cref="BlockingReadMargin"/> is still to come, because a stall
    /// or cancellation ends such a read by disposing the response, and .NET closes the connection at once only when more
    /// than its drain limit (1 MiB) is left; below that it first tries to read the rest, for up to 2 s. The tail, a body
    /// of unknown length and .NET Framework (whose reads ignore tokens anyway) use token-aware reads.
    /// </summary>
    private static bool ReadsBlocking(StallWatch? watch, long? total, long position) =>
        watch == null || (!HostRuntime.IsNetFramework && total.HasValue && total.Value - position > BlockingReadMargin);
}
