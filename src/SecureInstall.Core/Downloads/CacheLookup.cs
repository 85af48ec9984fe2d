using System.Diagnostics;
using SecureInstall.Core.Checksums;
using SecureInstall.Core.IO;

namespace SecureInstall.Core.Downloads;

/// <summary>
/// Serves a pinned SHA-256 or SHA-512 from the <see cref="ArtifactCache"/>, in one flow: inspect the entry; link it beside the
/// destination (an entry only this user can change, on the same volume) or copy it; check the file opened through its
/// handle and re-hash it through that handle; place it, or distrust and evict it. An entry is never trusted as stored:
/// a bad one costs a download, never a bad file.
/// </summary>
internal sealed class CacheLookup
{
    private readonly ArtifactCache _cache;
    private readonly ChunkedCopy _copy;
    private readonly VerifiedDownloaderOptions _options;
    private readonly Action<string> _log;

    public CacheLookup(ArtifactCache cache, ChunkedCopy copy, VerifiedDownloaderOptions options, Action<string> log)
    {
        _cache = cache;
        _copy = copy;
        _options = options;
        _log = log;
    }

    private enum Outcome
    {
        Served,
        /// <summary>Nothing usable: missing, distrusted or failing its hash (then evicted). The caller downloads.</summary>
        Miss,
        /// <summary>Linking was not possible here; the entry is still good to copy.</summary>
        CopyInstead,
    }

    /// <summary>The placed file's result on a hit; null on a miss (said in the log, with the reason).</summary>
    /// <exception cref="SizeMismatchException">the entry matches the digest but not the size the request expects.</exception>
    public async Task<DownloadResult?> TryServeAsync(DownloadRequest request, ChecksumEntry expected, string destination,
        IProgress<DownloadProgress>? progress, Stopwatch clock, CancellationToken cancellationToken)
    {
        ArtifactCache.EntryState state = _cache.Inspect(expected.Algorithm, expected.Digest, out string? reason);
        if (state == ArtifactCache.EntryState.Missing)
        {
            _log($"Cache miss for {Name(expected)}.");
            return null;
        }
        if (state == ArtifactCache.EntryState.Untrusted) return Distrusted(expected, reason!);
        // Only an entry nobody else can change may be linked: its bytes stay the bytes hashed. Any other is copied.
        (Outcome outcome, DownloadResult? result) = state == ArtifactCache.EntryState.Trusted
            ? await ServeAsync(link: true, request, expected, destination, progress, clock, cancellationToken).ConfigureAwait(false)
            : (Outcome.CopyInstead, null);
        if (outcome == Outcome.CopyInstead)
            (_, result) = await ServeAsync(link: false, request, expected, destination, progress, clock, cancellationToken).ConfigureAwait(false);
        return result;
    }

    /// <summary>
    /// One attempt. Linked: the entry is hard-linked to a temporary name beside the destination, hashed there and renamed into
    /// place, so a 1 GiB hit costs one read and hash instead of a copy and a flush. Copied: the bytes placed are a new file,
    /// hashed as they are written. Either way the file read is checked through its handle (<see cref="ArtifactCache.Distrust(FileStream, string)"/>),
    /// in case the cache name was swapped since it was inspected.
    /// </summary>
    private async Task<(Outcome, DownloadResult?)> ServeAsync(bool link, DownloadRequest request, ChecksumEntry expected, string destination,
        IProgress<DownloadProgress>? progress, Stopwatch clock, CancellationToken cancellationToken)
    {
        string cached = _cache.PathFor(expected.Algorithm, expected.Digest);
        string? linked = null;
        if (link)
        {
            linked = _cache.TryLinkOut(expected.Algorithm, expected.Digest, destination);
            if (linked == null) return (Outcome.CopyInstead, null);
        }
        try
        {
            string opened = linked ?? cached;
            FileStream source;
            try
            {
                source = FileHasher.OpenRead(opened);
            }
            catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
            {
                _log($"Cache miss for {Name(expected)}.");
                return (Outcome.Miss, null);
            }
            var cacheUri = new Uri(cached);
            AtomicFile? copy = null;
            try
            {
                // Opening follows a link that may have replaced the entry since it was inspected: check what was opened.
                if (ArtifactCache.Distrust(source, opened) is string swapped)
                {
                    source.Dispose();
                    return (Outcome.Miss, Distrusted(expected, swapped));
                }
                string sha256, actual;
                long size;
                if (linked != null && expected.Algorithm == ChecksumAlgorithm.SHA256)
                {
                    size = source.Length;
                    sha256 = actual = await HashAsync(source, cacheUri, progress, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    // Copied out, or linked but pinned by SHA-512: one pass gives both digests (the result names the SHA-256).
                    if (linked == null) copy = AtomicFile.Create(destination, privateFile: request.Token != null);
                    (sha256, actual, size) = await CopyAsync(source, copy?.Stream ?? Stream.Null, expected.Algorithm, cacheUri, progress, cancellationToken).ConfigureAwait(false);
                }
                if (!Hex.DigestEquals(actual, expected.Digest))
                {
                    // A cache entry is re-hashed on every use; a bad one is dropped and the file fetched again.
                    _log($"The cache entry {cached} hashes to {actual}, not {expected.Digest}; evicting it and downloading.");
                    copy?.Dispose();
                    source.Dispose();
                    _cache.Evict(expected.Algorithm, expected.Digest);
                    return (Outcome.Miss, null);
                }
                if (request.ExpectedSize.HasValue && request.ExpectedSize.Value != size)
                    throw new SizeMismatchException(request.Uris[0], request.ExpectedSize.Value, size);
                // The bytes are the pinned ones, but the signer is a requirement of its own: checked on what is about to be placed.
                Signatures.SignatureResult? authenticode = copy != null
                    ? StagedAuthenticode.Check(request, copy, _options.FlushToDisk, request.Uris[0], _log, cancellationToken)
                    : StagedAuthenticode.Check(request, linked!, request.Uris[0], _log, cancellationToken);
                if (copy != null)
                {
                    copy.Commit(_options.FlushToDisk);
                    _log($"Cache hit: served {destination} from {cached} (copied and re-hashed, no network).");
                }
                else
                {
                    source.Dispose();
                    try
                    {
                        AtomicFile.MoveIntoPlace(linked!, destination);
                    }
                    catch (IOException ex)
                    {
                        // ReplaceFile refuses some cases a copy handles, e.g. a destination that already is this entry.
                        _log($"Could not link from the cache ({ex.Message}); copying instead.");
                        return (Outcome.CopyInstead, null);
                    }
                    _log($"Cache hit: linked {destination} to {cached} (a file only you can change; re-hashed, no network).");
                }
                return (Outcome.Served, new DownloadResult(destination, request.Uris[0], cacheUri, sha256, size, ExpectedDigestResolver.SourceText(expected),
                    verified: true, fromCache: true, clock.Elapsed, Array.Empty<Uri>(), attempts: 0) { Signature = authenticode });
            }
            finally
            {
                copy?.Dispose();
                source.Dispose();
            }
        }
        finally
        {
            // Whatever the linked name is now (File.Exists would follow a link).
            if (linked != null) BestEffort.DeleteFile(linked);
        }
    }

    /// <summary>Hashes a linked entry in place, reporting progress a few times a second.</summary>
    private static Task<string> HashAsync(FileStream source, Uri cacheUri, IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        long size = source.Length;
        var rate = new RateMeter();
        rate.Start(0);
        IProgress<long>? bytes = progress == null ? null : new CallbackProgress<long>(done =>
        {
            if (rate.Due() || done == size) progress.Report(new DownloadProgress(cacheUri, done, size, rate.BytesPerSecond(done)));
        });
        return Task.Run(() => FileHasher.Hash(source, ChecksumAlgorithm.SHA256, bytes, cancellationToken), cancellationToken);
    }

    /// <summary>Copies an entry into <paramref name="target"/> (a new file, or nowhere), hashing the bytes as they are written: SHA-256 and the pin's <paramref name="algorithm"/>.</summary>
    private async Task<(string Sha256, string Expected, long Size)> CopyAsync(FileStream source, Stream target, ChecksumAlgorithm algorithm, Uri cacheUri,
        IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        using var sink = new DigestSink(target, algorithm, _options.FlushToDisk && target != Stream.Null);
        await _copy.CopyAsync(source, sink, source.Length, _options.MaximumSize, cacheUri, progress, null, cancellationToken).ConfigureAwait(false);
        (string sha256, string expected) = sink.Finish();
        return (sha256, expected, sink.Length);
    }

    private static string Name(ChecksumEntry expected) => $"{ChecksumAlgorithms.LowerName(expected.Algorithm)}:{expected.Digest}";

    /// <summary>An entry that is a link, or a file someone else can change, is a miss: evicted where possible, and said so.</summary>
    private DownloadResult? Distrusted(ChecksumEntry expected, string reason)
    {
        bool evicted = _cache.Evict(expected.Algorithm, expected.Digest);
        _log($"The cache entry {_cache.PathFor(expected.Algorithm, expected.Digest)} is {reason}; it is not used ({(evicted ? "evicted" : "it could not be evicted")}). Cache miss for {Name(expected)}.");
        return null;
    }
}
