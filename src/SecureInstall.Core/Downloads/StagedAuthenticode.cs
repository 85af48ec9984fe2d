using SecureInstall.Core.IO;
using SecureInstall.Core.Signatures;

namespace SecureInstall.Core.Downloads;

/// <summary>
/// A download's <see cref="DownloadRequest.Authenticode"/> requirement, run on the staged file (the temporary file of a
/// fetch, the linked or copied file of a cache hit) before it is renamed into place: what is placed is what was verified,
/// and a refused file leaves nothing at the destination.
/// </summary>
internal static class StagedAuthenticode
{
    /// <summary>
    /// The same on a file still being written (a fetch's temporary file, a cache hit's copy): sealed first, and only when a
    /// check runs, since the check opens the file by name and WinVerifyTrust cannot share the write handle.
    /// </summary>
    public static SignatureResult? Check(DownloadRequest request, AtomicFile staged, bool flushToDisk, Uri shownAs, Action<string> log, CancellationToken cancellationToken)
    {
        if (request.Authenticode == null) return null;
        staged.Seal(flushToDisk);
        return Check(request, staged.TemporaryPath, shownAs, log, cancellationToken);
    }

    /// <summary>The signature's result, or null when the request pins no Authenticode signer. Throws the verifier's failure.</summary>
    public static SignatureResult? Check(DownloadRequest request, string stagedPath, Uri shownAs, Action<string> log, CancellationToken cancellationToken)
    {
        if (request.Authenticode == null) return null;
        string name = UriText.Redact(shownAs);
        log($"Verifying the Authenticode signature of {name}: {request.Authenticode.TrustedSignerDescription}.");
        SignatureResult signed = request.Authenticode.Verify(stagedPath, name, cancellationToken);
        log($"The artifact's Authenticode signature is valid: thumbprint {signed.Fingerprint} ('{signed.Signer}'); checks: {signed.Checks}.");
        return signed;
    }
}
