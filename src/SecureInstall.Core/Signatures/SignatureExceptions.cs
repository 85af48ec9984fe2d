namespace SecureInstall.Core.Signatures;

/// <summary>
/// A signature was read and checked, and it does not vouch for the file. Carries an invalid <see cref="SignatureResult"/>
/// with what was learnt (key id, signer), so callers can report it.
/// </summary>
public abstract class SignatureVerificationException : SecureInstallException
{
    protected SignatureVerificationException(string message, string errorId, SignatureResult result, Exception? inner)
        : base(message, errorId, FailureKind.Security, result.Path, inner)
    {
        Result = result;
    }

    public SignatureResult Result { get; }
}

/// <summary>The signature does not match the file (or its trusted comment), or is expired: the file is not what the key's owner signed.</summary>
public sealed class SignatureInvalidException : SignatureVerificationException
{
    public SignatureInvalidException(SignatureResult result, string reason, Exception? inner = null)
        : base($"The {result.Scheme} signature of '{result.Path}'{From(result)} is not valid: {reason}. Do not use the file; download it and its signature again from the publisher.",
               ErrorIds.SignatureInvalid, result, inner)
    {
        Reason = reason;
    }

    public string Reason { get; }

    private static string From(SignatureResult r) => r.SignaturePath == null ? "" : $" ({r.SignaturePath})";
}

/// <summary>The signature was made by a key other than the trusted one, or by a trusted key that is revoked, expired or not allowed to sign.</summary>
public sealed class SignerNotTrustedException : SignatureVerificationException
{
    public SignerNotTrustedException(SignatureResult result, string expected, string actual, string reason)
        : base($"The {result.Scheme} signature of '{result.Path}' is not from a trusted key: {reason} (trusted: {expected}; signature: {actual}). Check that you have the publisher's current key; never accept a signature from a key you did not choose to trust.",
               ErrorIds.SignerNotTrusted, result, null)
    {
        Expected = expected;
        Actual = actual;
        Reason = reason;
    }

    /// <summary>The key id, fingerprint or certificate the caller trusts.</summary>
    public string Expected { get; }

    /// <summary>What the signature names.</summary>
    public string Actual { get; }

    public string Reason { get; }
}

/// <summary>A signature file cannot be read (not minisign, not OpenPGP, truncated, wrong packet types).</summary>
public sealed class SignatureFormatException : SecureInstallException
{
    public SignatureFormatException(string source, string reason, Exception? inner = null)
        : base($"{source}: {reason}", ErrorIds.SignatureFormatInvalid, FailureKind.InvalidData, source, inner)
    {
        Source = source;
        Reason = reason;
    }

    public new string Source { get; }
    public string Reason { get; }
}

/// <summary>A public key (or key file) cannot be read or holds nothing usable.</summary>
public sealed class PublicKeyFormatException : SecureInstallException
{
    public PublicKeyFormatException(string source, string reason, Exception? inner = null)
        : base($"{source}: {reason}", ErrorIds.PublicKeyInvalid, FailureKind.InvalidData, source, inner)
    {
        Reason = reason;
    }

    public string Reason { get; }
}

/// <summary>The signature cannot be checked here (Authenticode off Windows, an unknown algorithm). Never a silent pass.</summary>
public sealed class SignatureNotSupportedException : SecureInstallException
{
    public SignatureNotSupportedException(object? target, string reason)
        : base($"The signature of '{target}' cannot be checked: {reason}. It is treated as not verified.",
               ErrorIds.SignatureNotSupported, FailureKind.NotSupported, target)
    {
        Reason = reason;
    }

    public string Reason { get; }
}

/// <summary>A key pin given by the caller is not a full fingerprint or thumbprint (short key ids can be forged).</summary>
public sealed class InvalidFingerprintException : SecureInstallException
{
    public InvalidFingerprintException(string value, string reason)
        : base($"'{value}' is not a usable pin: {reason}", ErrorIds.InvalidFingerprint, FailureKind.InvalidArgument, value)
    {
    }
}

/// <summary>No signature was named and none was found beside the file: nothing can vouch for it.</summary>
public sealed class SignatureFileNotFoundException : SecureInstallException
{
    public SignatureFileNotFoundException(string path, IReadOnlyList<string> tried)
        : base($"No signature found for '{path}' (looked for {string.Join(", ", tried)} beside it). Name the signature file; an unsigned file is not verified.",
               ErrorIds.SignatureNotFound, FailureKind.NotFound, path)
    {
        Path = path;
        Tried = tried;
    }

    public string Path { get; }
    public IReadOnlyList<string> Tried { get; }
}
