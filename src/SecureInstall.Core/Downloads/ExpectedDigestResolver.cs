using SecureInstall.Core.Checksums;
using SecureInstall.Core.Signatures;

namespace SecureInstall.Core.Downloads;

/// <summary>
/// Finds the digest a download must have, before any byte of the artifact moves: given directly, or looked up in a
/// checksum list (fetched, capped, or read from a file) whose signature, detached or clear, is verified before any digest
/// in it is trusted. An artifact's own detached signature is fetched here too, so a missing one fails fast.
/// </summary>
internal sealed class ExpectedDigestResolver
{
    private readonly DownloadTransport _transport;
    private readonly VerifiedDownloaderOptions _options;
    private readonly Action<string> _log;

    public ExpectedDigestResolver(DownloadTransport transport, VerifiedDownloaderOptions options, Action<string> log)
    {
        _transport = transport;
        _options = options;
        _log = log;
    }

    /// <summary>Where a digest came from, for messages: the list and its line, or the source of a digest given directly.</summary>
    public static string SourceText(ChecksumEntry entry) => entry.LineNumber > 0 ? $"{entry.Source}:{entry.LineNumber}" : entry.Source;

    /// <exception cref="VerificationRequiredException">nothing to verify with, and verification was not skipped.</exception>
    /// <exception cref="WeakAlgorithmException">a weak digest without AllowWeakAlgorithm.</exception>
    public async Task<ExpectedDigest> ResolveAsync(DownloadRequest request, CancellationToken cancellationToken)
    {
        DownloadPreflight.CheckDigestSources(request);
        byte[]? signature = null;
        string? signatureName = null;
        if (request.SignatureUri != null)
        {
            signatureName = UriText.Redact(request.SignatureUri);
            signature = await FetchSmallAsync(request, request.SignatureUri, "signature", DetachedSignatureVerifier.MaximumSignatureBytes, cancellationToken).ConfigureAwait(false);
        }

        var resolved = new ExpectedDigest();
        if (request.ChecksumUri == null && request.ChecksumFile == null)
        {
            resolved.Entry = request.Expected;
            resolved.ArtifactSignature = signature;
        }
        else
        {
            (byte[] listBytes, string listName) = await ReadListAsync(request, cancellationToken).ConfigureAwait(false);
            if (request.SignatureVerifier == null)
            {
                resolved.Entry = new ChecksumListParser().Parse(new MemoryStream(listBytes, writable: false), listName, cancellationToken).Find(request.LookupName, null);
            }
            else
            {
                _log($"Verifying the checksum list {listName} against {(signatureName ?? "its clear-signature")} with {request.SignatureVerifier.TrustedKeyDescription}.");
                VerifiedChecksumList verified = new SignedChecksumListReader(request.SignatureVerifier).Read(
                    new MemoryStream(listBytes, writable: false), listName, signature == null ? null : new MemoryStream(signature, writable: false), signatureName, cancellationToken);
                _log($"The checksum list's {verified.Signature.Scheme} signature is valid: key {verified.Signature.KeyId}{(verified.Signature.Signer != null ? " (" + verified.Signature.Signer + ")" : "")}.");
                resolved.Entry = verified.List.Find(request.LookupName, null);
                resolved.ListSignature = verified.Signature;
            }
        }

        ChecksumEntry? expected = resolved.Entry;
        if (expected == null && resolved.ArtifactSignature == null && request.DigestCheck == null && request.Authenticode == null)
        {
            if (!request.SkipVerification) throw new VerificationRequiredException(request.Uris[0]);
            _log("No digest to check (verification skipped): the file will be kept whatever it hashes to.");
        }
        else if (expected != null)
        {
            if (ChecksumAlgorithms.IsWeak(expected.Algorithm) && !_options.AllowWeakAlgorithm)
                throw new WeakAlgorithmException(expected.Algorithm, UriText.Redact(request.Uris[0]));
            _log($"Expected {expected.Algorithm} {expected.Digest} from {SourceText(expected)}.");
        }

        if (request.DigestCheck != null && expected != null)
        {
            // A pinned digest can be checked against the bundle before any byte moves; the bytes are then held to that digest.
            resolved.DigestSignature = request.DigestCheck(expected, cancellationToken);
            _log($"The pinned digest is vouched for by a {resolved.DigestSignature.Scheme} bundle: {resolved.DigestSignature.Signer ?? resolved.DigestSignature.KeyId}.");
        }
        return resolved;
    }

    private async Task<(byte[] Bytes, string Name)> ReadListAsync(DownloadRequest request, CancellationToken cancellationToken)
    {
        if (request.ChecksumFile != null)
        {
            string listName = request.ChecksumFile;
            using FileStream stream = new(request.ChecksumFile, FileMode.Open, FileAccess.Read, FileShare.Read);
            return (DetachedSignatureVerifier.ReadSmall(stream, listName, (int)ChecksumListParser.DefaultMaximumBytes,
                reason => new ChecksumListFormatException(listName, 0, reason)), listName);
        }
        byte[] bytes = await FetchSmallAsync(request, request.ChecksumUri!, "checksum list", ChecksumListParser.DefaultMaximumBytes, cancellationToken).ConfigureAwait(false);
        return (bytes, UriText.Redact(request.ChecksumUri!));
    }

    private Task<byte[]> FetchSmallAsync(DownloadRequest request, Uri uri, string what, long maximum, CancellationToken cancellationToken) =>
        _transport.FetchSmallAsync(uri, DownloadTransport.TokenFor(request, uri), what, maximum, cancellationToken);
}

/// <summary>What <see cref="ExpectedDigestResolver"/> found: the digest and the signatures that vouch for it or for the artifact.</summary>
internal sealed class ExpectedDigest
{
    /// <summary>The digest the bytes must have; null when only a signature (or nothing, when skipped) checks them.</summary>
    public ChecksumEntry? Entry { get; set; }

    /// <summary>The verified signature of the checksum list the digest came from.</summary>
    public SignatureResult? ListSignature { get; set; }

    /// <summary>The artifact's detached signature, fetched, to be verified on the downloaded bytes before they are placed.</summary>
    public byte[]? ArtifactSignature { get; set; }

    /// <summary>The bundle's verdict on the pinned digest (<see cref="DownloadRequest.DigestCheck"/>), checked before any byte moved.</summary>
    public SignatureResult? DigestSignature { get; set; }
}
