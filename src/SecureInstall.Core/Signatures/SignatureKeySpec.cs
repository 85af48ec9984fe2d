using System.Text.RegularExpressions;

namespace SecureInstall.Core.Signatures;

/// <summary>How a front end spells the trusted-key options, for the messages of <see cref="SignatureKeySpec"/>.</summary>
public sealed class SignatureKeyNames
{
    public SignatureKeyNames(string minisignKey, string pgpKey, string fingerprint, string signatureUri)
    {
        MinisignKey = minisignKey ?? throw new ArgumentNullException(nameof(minisignKey));
        PgpKey = pgpKey ?? throw new ArgumentNullException(nameof(pgpKey));
        Fingerprint = fingerprint ?? throw new ArgumentNullException(nameof(fingerprint));
        SignatureUri = signatureUri ?? throw new ArgumentNullException(nameof(signatureUri));
    }

    /// <summary>"-MinisignPublicKey", "--minisign-key".</summary>
    public string MinisignKey { get; }

    public string PgpKey { get; }

    public string Fingerprint { get; }

    public string SignatureUri { get; }
}

/// <summary>
/// The trusted key for a detached signature as a front end was given it: a minisign key (the key text, or the path of
/// its .pub file) or an OpenPGP key file, with an optional fingerprint pin. Both front ends fill one, so the rules
/// (one trusted key, a fingerprint pins an OpenPGP key, key text or path) and their error have one owner.
/// </summary>
public sealed class SignatureKeySpec
{
    // A minisign public key as minisign prints it ("RW" + base64 of 42 bytes), optionally after its comment line.
    private static readonly Regex MinisignKeyText =
        new(@"^\s*(untrusted comment:[^\n]*\n)?\s*RW[A-Za-z0-9+/]{54}\s*$", RegexOptions.CultureInvariant);

    public SignatureKeySpec(SignatureKeyNames names) => Names = names ?? throw new ArgumentNullException(nameof(names));

    public SignatureKeyNames Names { get; }

    /// <summary>The minisign key: its text (RW…), or the path of a minisign.pub file.</summary>
    public string? MinisignKey { get; set; }

    /// <summary>The path of a file with the trusted OpenPGP public key(s).</summary>
    public string? PgpKeyFile { get; set; }

    /// <summary>OpenPGP: trust only the key with this primary-key fingerprint.</summary>
    public string? Fingerprint { get; set; }

    /// <summary>OpenPGP: accept a signature made while its key was valid from a key that has expired since.</summary>
    public bool AllowExpiredKey { get; set; }

    /// <summary>True when neither a minisign nor an OpenPGP key was given.</summary>
    public bool IsEmpty => MinisignKey == null && PgpKeyFile == null;

    /// <summary>
    /// Key or path: a value that reads as a minisign public key is the key, whatever files exist; anything else is a
    /// path. Text first, not file first: a file that someone else placed in the current folder under the key's own
    /// text as its name must not replace the key that was typed.
    /// </summary>
    public static bool IsMinisignKeyText(string value) =>
        value != null && MinisignKeyText.IsMatch(value.Replace("\r", ""));

    /// <summary>Throws <see cref="SignatureParametersException"/> for two keys, or a fingerprint without an OpenPGP key.</summary>
    public void Validate()
    {
        if (MinisignKey != null && PgpKeyFile != null)
            throw new SignatureParametersException($"Give one trusted key: {Names.MinisignKey} or {Names.PgpKey}.");
        if (Fingerprint != null && PgpKeyFile == null)
            throw new SignatureParametersException($"{Names.Fingerprint} pins a key of {Names.PgpKey}; give the key file too.");
    }

    /// <summary>The error for a signature URI given without a key to check it with.</summary>
    public SignatureParametersException SignatureUriWithoutKey() =>
        new($"{Names.SignatureUri} needs the key to check it with: {Names.MinisignKey} or {Names.PgpKey}.");

    /// <summary>
    /// The verifier for the key given, or null when none was. <paramref name="tryResolveFile"/> gives the file a
    /// minisign value names when it names one existing file (else null, no error); <paramref name="resolveKeyFile"/>
    /// resolves the OpenPGP key path (and reports a miss its own way). Throws the core's key errors.
    /// </summary>
    public DetachedSignatureVerifier? CreateVerifier(Func<string, string?> tryResolveFile, Func<string, string> resolveKeyFile)
    {
        if (tryResolveFile == null) throw new ArgumentNullException(nameof(tryResolveFile));
        if (resolveKeyFile == null) throw new ArgumentNullException(nameof(resolveKeyFile));
        Validate();
        if (MinisignKey != null)
        {
            MinisignPublicKey key = IsMinisignKeyText(MinisignKey)
                ? MinisignPublicKey.Parse(MinisignKey, Names.MinisignKey)
                : MinisignPublicKey.FromArgument(MinisignKey, tryResolveFile(MinisignKey), Names.MinisignKey);
            return new MinisignVerifier(key);
        }
        if (PgpKeyFile == null) return null;
        return new OpenPgpVerifier(OpenPgpKeyRing.FromFile(resolveKeyFile(PgpKeyFile)), new OpenPgpVerifierOptions
        {
            Fingerprint = Fingerprint,
            AllowExpiredKey = AllowExpiredKey,
        });
    }
}

/// <summary>The signature options given do not make one check: two keys, a signature without a key, a pin without its key.</summary>
public sealed class SignatureParametersException : SecureInstallException
{
    public SignatureParametersException(string message)
        : base(message, ErrorIds.SignatureParametersInvalid, FailureKind.InvalidArgument, null)
    {
    }
}
