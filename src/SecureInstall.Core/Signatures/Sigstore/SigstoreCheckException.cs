namespace SecureInstall.Core.Signatures.Sigstore;

/// <summary>
/// One Sigstore check failed (a proof, a signature, a time, a policy). Steps throw it with the reason a person reads;
/// <see cref="SigstoreVerifier"/> turns it into a <see cref="SignatureInvalidException"/> or
/// <see cref="SignerNotTrustedException"/> that carries the result.
/// </summary>
public sealed class SigstoreCheckException : Exception
{
    public SigstoreCheckException(string reason, bool signerNotTrusted = false, Exception? inner = null)
        : base(reason, inner)
    {
        Reason = reason;
        SignerNotTrusted = signerNotTrusted;
    }

    public string Reason { get; }

    /// <summary>True when the signature is sound but its signer is not the one the policy asks for.</summary>
    public bool SignerNotTrusted { get; }
}

/// <summary>A Sigstore trusted root (trusted_root.json) cannot be read or is incomplete.</summary>
public sealed class TrustedRootFormatException : SecureInstallException
{
    public TrustedRootFormatException(string source, string reason, Exception? inner = null)
        : base($"{source}: not a usable Sigstore trusted root: {reason}", ErrorIds.TrustedRootInvalid, FailureKind.InvalidData, source, inner)
    {
        Reason = reason;
    }

    public string Reason { get; }
}
