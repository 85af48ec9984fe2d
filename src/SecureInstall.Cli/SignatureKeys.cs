using SecureInstall.Core.Signatures;

namespace SecureInstall.Cli;

/// <summary>The trusted-key options shared by `verify-signature` and `get`, read by the core's <see cref="SignatureKeySpec"/>.</summary>
internal static class SignatureKeys
{
    public static readonly SignatureKeyNames Names = new("--minisign-key", "--pgp-key", "--fingerprint", "--signature-uri");

    public static SignatureKeySpec Spec(string? minisign, string? pgp, string? fingerprint, bool allowExpiredKey) =>
        new(Names) { MinisignKey = minisign, PgpKeyFile = pgp, Fingerprint = fingerprint, AllowExpiredKey = allowExpiredKey };

    /// <summary>A verifier for a minisign key (string or .pub file) or an OpenPGP key file; null when neither is given.</summary>
    public static DetachedSignatureVerifier? Create(SignatureKeySpec keys) =>
        keys.CreateVerifier(path => File.Exists(path) ? path : null, path => path);
}
