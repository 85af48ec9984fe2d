namespace SecureInstall.Core.Signatures.Authenticode;

/// <summary>
/// The rule for two verifiers of one file: the managed check and the platform's (WinVerifyTrust) must both accept it
/// and name the same primary signer. A failure of either has already thrown; what is left is a disagreement about who
/// signed, and that fails closed too: one of the two parsers sees a different file than the other.
/// </summary>
internal static class AuthenticodeAgreement
{
    /// <summary>The signers to pin against: the managed ones when the managed check ran, else the platform's primary signer.</summary>
    /// <exception cref="SignatureInvalidException">the two checks name different primary signers.</exception>
    public static IReadOnlyList<AuthenticodeSigner> Combine(IReadOnlyList<AuthenticodeSigner>? managed, PlatformAuthenticodeVerdict platform, SignatureResult result)
    {
        if (platform == null) throw new ArgumentNullException(nameof(platform));
        if (managed == null)
            return new[] { new AuthenticodeSigner(0, platform.Thumbprint.ToUpperInvariant(), platform.Subject, platform.Algorithm, null, null, null) };
        if (managed.Count == 0 || !string.Equals(managed[0].Thumbprint, platform.Thumbprint, StringComparison.OrdinalIgnoreCase))
            throw new SignatureInvalidException(result.AsInvalid(),
                $"the managed Authenticode check and WinVerifyTrust disagree about the signer (managed: thumbprint {(managed.Count > 0 ? managed[0].Thumbprint : "none")}; WinVerifyTrust: thumbprint {platform.Thumbprint}); the file is refused");
        return managed;
    }
}
