using SecureInstall.Core.Checksums;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.IO;

namespace SecureInstall.Core.Scripts;

/// <summary>Which trust decision let a script through.</summary>
public enum ScriptTrust
{
    /// <summary>The caller's -Sha256.</summary>
    PinnedDigest,
    /// <summary>Same bytes as the pin recorded on an earlier run.</summary>
    PinStore,
    /// <summary>No pin yet (-TrustOnFirstUse): this run records one.</summary>
    FirstUse,
    /// <summary>Changed since pinned, and the caller passed -Accept: this run records the new pin.</summary>
    Repinned,
}

/// <summary>What a script should be checked against.</summary>
public sealed class ScriptRequest
{
    /// <summary>Installers are small; a script past this is refused while it streams.</summary>
    public const long DefaultMaximumSize = 16L * 1024 * 1024;

    public ScriptRequest(Uri uri) => Uri = uri ?? throw new ArgumentNullException(nameof(uri));

    public Uri Uri { get; }

    /// <summary>The digest the script must have. Exactly one of this and <see cref="TrustOnFirstUse"/>.</summary>
    public ChecksumEntry? Expected { get; set; }

    public bool TrustOnFirstUse { get; set; }

    /// <summary>With <see cref="TrustOnFirstUse"/>: a changed script is re-pinned instead of refused.</summary>
    public bool Accept { get; set; }

    /// <summary>The pin store file; null for <see cref="ScriptPinStore.DefaultPath"/>.</summary>
    public string? PinStorePath { get; set; }

    public long MaximumSize { get; set; } = DefaultMaximumSize;
}

/// <summary>A script whose bytes were verified. <see cref="Text"/> is decoded from exactly those bytes.</summary>
public sealed class VerifiedScript
{
    private readonly byte[] _bytes;

    internal VerifiedScript(DownloadResult download, byte[] bytes, ScriptTrust trust, string digestSource, string? pinStore, string? previousSha256)
    {
        _bytes = bytes;
        Uri = download.Uri;
        FinalUri = download.FinalUri;
        Sha256 = download.Sha256;
        Size = bytes.LongLength;
        Trust = trust;
        DigestSource = digestSource;
        PinStore = pinStore;
        PreviousSha256 = previousSha256;
        Text = ScriptText.Decode(bytes);
    }

    public Uri Uri { get; }
    public Uri FinalUri { get; }
    public string Sha256 { get; }
    public long Size { get; }
    public ScriptTrust Trust { get; }

    /// <summary>"-Sha256", "pin store …", "first use: …".</summary>
    public string DigestSource { get; }

    public string? PinStore { get; }

    /// <summary>For <see cref="ScriptTrust.Repinned"/>: the digest that was pinned before.</summary>
    public string? PreviousSha256 { get; }

    /// <summary>The script as it runs: the verified bytes decoded once (<see cref="ScriptText.Decode"/>).</summary>
    public string Text { get; }

    /// <summary>
    /// <see cref="Text"/> for a person to read (-Inspect, --inspect): control, bidi and invisible characters shown as
    /// escapes (<see cref="ScriptText.ForReview"/>), so no line can hide from the reader.
    /// </summary>
    public string ReviewText => _reviewText ??= ScriptText.ForReview(Text);

    private string? _reviewText;

    /// <summary>Authenticode status, filled in by the caller on Windows; "NotChecked" elsewhere.</summary>
    public string Authenticode { get; set; } = "NotChecked";

    /// <summary>True when running it must first record a pin (<see cref="ScriptTrust.FirstUse"/>, <see cref="ScriptTrust.Repinned"/>).</summary>
    public bool PinPending => Trust is ScriptTrust.FirstUse or ScriptTrust.Repinned;

    /// <summary>Lines as PowerShell counts them (a lone CR ends one too), as <see cref="ReviewText"/> shows them.</summary>
    public int LineCount => Text.Length == 0 ? 0 : ReviewText.Split('\n').Length;

    public byte[] GetBytes() => (byte[])_bytes.Clone();

    /// <summary>The bytes to write for a PowerShell host to run, which it decodes to exactly <see cref="Text"/> (<see cref="ScriptText.ForScriptFile"/>).</summary>
    public byte[] GetScriptFileBytes() => ScriptText.ForScriptFile(_bytes);
}

/// <summary>
/// Fetches a script through <see cref="VerifiedDownloader"/> and decides whether it may run: against a pinned digest,
/// or against the pin store (trust on first use). Never writes the pin store itself: <see cref="RecordPin"/> does,
/// once the caller has decided to run (so -WhatIf and -Inspect change nothing).
/// </summary>
public sealed class ScriptFetcher
{
    private readonly VerifiedDownloaderOptions _options;

    public ScriptFetcher(VerifiedDownloaderOptions? options = null) => _options = options ?? new VerifiedDownloaderOptions();

    public async Task<VerifiedScript> FetchAsync(ScriptRequest request, CancellationToken cancellationToken = default)
    {
        if (request == null) throw new ArgumentNullException(nameof(request));
        if ((request.Expected != null) == request.TrustOnFirstUse)
            throw new ArgumentException("Give exactly one of a digest (-Sha256) and -TrustOnFirstUse.", nameof(request));
        if (request.Accept && !request.TrustOnFirstUse) throw new ArgumentException("-Accept only applies with -TrustOnFirstUse.", nameof(request));

        _options.MaximumSize = Math.Min(_options.MaximumSize, request.MaximumSize);
        string folder = Path.Combine(Path.GetTempPath(), "secureinstall-script-" + Guid.NewGuid().ToString("N").Substring(0, 12));
        // Private: the script may have come with a token, and nobody else may swap it before it is hashed again.
        UnixFileSystem.CreateDirectory(folder, 0x1C0 /* 0700 */);
        try
        {
            var download = new DownloadRequest(request.Uri, Path.Combine(folder, "script"))
            {
                Expected = request.Expected,
                // Trust on first use compares with the pin store below; the download itself has no digest to check.
                SkipVerification = request.TrustOnFirstUse,
            };
            DownloadResult result;
            using (var downloader = new VerifiedDownloader(_options))
            {
                result = await downloader.DownloadAsync(download, null, cancellationToken).ConfigureAwait(false);
            }
            byte[] bytes = File.ReadAllBytes(result.Path);
            // What runs is these bytes in memory: hash them again, so a file changed after the download's hash cannot slip in.
            string held;
            using (var sha = ChecksumAlgorithms.Create(ChecksumAlgorithm.SHA256)) held = Hex.Encode(sha.ComputeHash(bytes));
            if (!string.Equals(held, result.Sha256, StringComparison.OrdinalIgnoreCase))
                throw new IOException($"The downloaded script '{result.Path}' changed on disk after it was hashed (sha256:{result.Sha256}, now sha256:{held}); nothing was run.");
            if (request.Expected != null) return new VerifiedScript(result, bytes, ScriptTrust.PinnedDigest, result.DigestSource, null, null);
            return Decide(request, result, bytes);
        }
        finally
        {
            BestEffort.DeleteTree(folder);
        }
    }

    /// <summary>Writes the pin a first use or an accepted change needs. Call it only when the script is about to run.</summary>
    public static void RecordPin(VerifiedScript script, DateTimeOffset when)
    {
        if (!script.PinPending || script.PinStore == null) return;
        new ScriptPinStore(script.PinStore).Pin(script.Uri, script.Sha256, script.GetBytes(), when);
    }

    private VerifiedScript Decide(ScriptRequest request, DownloadResult result, byte[] bytes)
    {
        var store = new ScriptPinStore(request.PinStorePath ?? ScriptPinStore.DefaultPath());
        ScriptPin? pin = store.Find(request.Uri);
        if (pin == null)
        {
            _options.Log?.Invoke($"No pin for {UriText.Redact(request.Uri)} in {store.FilePath}: first use, sha256:{result.Sha256} will be pinned.");
            return new VerifiedScript(result, bytes, ScriptTrust.FirstUse, $"first use (pinned now in {store.FilePath})", store.FilePath, null);
        }
        if (pin.Sha256 == result.Sha256)
        {
            _options.Log?.Invoke($"sha256:{result.Sha256} matches the pin of {pin.PinnedAt} in {store.FilePath}.");
            return new VerifiedScript(result, bytes, ScriptTrust.PinStore, $"pin store {store.FilePath} ({pin.PinnedAt})", store.FilePath, null);
        }
        // The old side is shown only from a copy that hashes to the pin; otherwise the diff says why it is empty.
        byte[]? previous = store.ReadCopy(pin, request.MaximumSize, out string? problem);
        if (problem != null) _options.Log?.Invoke($"The pinned copy of {UriText.Redact(request.Uri)} is not shown: {ScriptText.ForReviewLine(problem)}.");
        string diff = UnifiedDiff.Create(previous == null ? string.Empty : ScriptText.Decode(previous), ScriptText.Decode(bytes),
            $"pinned sha256:{pin.Sha256} ({pin.PinnedAt}){(problem == null ? "" : $" (pinned copy not shown: {problem})")}", $"{UriText.Redact(request.Uri)} sha256:{result.Sha256}");
        if (!request.Accept) throw new ScriptChangedException(request.Uri, pin.Sha256, result.Sha256, store.FilePath, diff);
        _options.Log?.Invoke($"-Accept: {UriText.Redact(request.Uri)} changed from sha256:{pin.Sha256}; the new script will be pinned.\n{diff}");
        return new VerifiedScript(result, bytes, ScriptTrust.Repinned, $"re-pinned with -Accept in {store.FilePath} (was sha256:{pin.Sha256})", store.FilePath, pin.Sha256);
    }
}
