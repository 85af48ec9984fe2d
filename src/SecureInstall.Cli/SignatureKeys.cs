using SecureInstall.Core.Signatures;

namespace SecureInstall.Cli;

/// <summary>The trusted-key options shared by `verify-signature` and `get`.</summary>
internal static class SignatureKeys
{
    /// <summary>A verifier for a minisign key (string or .pub file) or an OpenPGP key file; null when neither is given.</summary>
    public static DetachedSignatureVerifier? Create(string? minisign, string? pgp, string? fingerprint, bool allowExpiredKey)
    {
        if (minisign != null)
            return new MinisignVerifier(MinisignPublicKey.FromArgument(minisign, System.IO.File.Exists(minisign) ? minisign : null, "--minisign-key"));
        if (pgp != null)
            return new OpenPgpVerifier(OpenPgpKeyRing.FromFile(pgp), new OpenPgpVerifierOptions { Fingerprint = fingerprint, AllowExpiredKey = allowExpiredKey });
        return null;
    }
}
