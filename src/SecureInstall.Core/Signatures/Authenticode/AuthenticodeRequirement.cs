using SecureInstall.Core.Manifests;

namespace SecureInstall.Core.Signatures.Authenticode;

/// <summary>
/// A manifest's <c>signature: {scheme: authenticode}</c> policy: every executable the tool installs (its bin, or the
/// artifact itself for a plain binary) must carry a valid Authenticode signature by the pinned signer, checked in the
/// staging folder before anything is placed. The block:
/// <code>
/// signature:
///   scheme: authenticode
///   thumbprint: 0123…4567      # the signer certificate's SHA-1 thumbprint (several separated by spaces), and/or
///   subject: "CN=Contoso, O=Contoso, C=US"
///   root: contoso-root.cer     # the root the chain must end at (relative to the manifest); default the platform store
/// </code>
/// </summary>
public sealed class AuthenticodeRequirement
{
    private readonly AuthenticodeVerifier _verifier;

    private AuthenticodeRequirement(AuthenticodeVerifier verifier) => _verifier = verifier;

    public static bool IsScheme(string scheme) => string.Equals(scheme?.Trim(), "authenticode", StringComparison.OrdinalIgnoreCase);

    /// <exception cref="SignatureFormatException">the block pins no signer.</exception>
    /// <exception cref="InvalidFingerprintException">a thumbprint is not 40 hex digits.</exception>
    /// <exception cref="PublicKeyFormatException">the root file cannot be read.</exception>
    public static AuthenticodeRequirement FromPolicy(SignaturePolicy policy, string tool)
    {
        if (policy == null) throw new ArgumentNullException(nameof(policy));
        string where = $"{tool}: signature (line {policy.Line})";
        var options = new AuthenticodeVerifierOptions();
        foreach (string t in (ManifestSignatureRequirement.Setting(policy, "thumbprint") ?? string.Empty).Split(new[] { ' ', ',', ';' }, StringSplitOptions.RemoveEmptyEntries)) options.SignerThumbprints.Add(t);
        if (ManifestSignatureRequirement.Setting(policy, "subject") is { } subject) options.SignerSubjects.Add(subject);
        if (options.SignerThumbprints.Count == 0 && options.SignerSubjects.Count == 0)
            throw new SignatureFormatException(where, "an authenticode policy pins no signer: give the signer certificate's thumbprint: or subject:.");
        if (ManifestSignatureRequirement.Setting(policy, "root") is { } root)
        {
            string path = ManifestSignatureRequirement.KeyPath(policy, root);
            if (!File.Exists(path)) throw new PublicKeyFormatException(where, $"the root certificate file '{path}' does not exist.");
            options.Trust = AuthenticodeTrust.FromFiles(new[] { path });
        }
        return new AuthenticodeRequirement(new AuthenticodeVerifier(options));
    }

    /// <summary>
    /// How the plan, the log and the lock name it: "Authenticode signature by thumbprint … ('CN=…')". The lock leaves out
    /// <paramref name="withChecks"/>: which checks ran depends on the machine (WinVerifyTrust runs on Windows only), and a lock
    /// re-written on another machine must not change.
    /// </summary>
    public string Describe(IReadOnlyList<SignatureResult>? verified, bool withChecks = true) =>
        verified == null || verified.Count == 0
            ? $"Authenticode signature of every executable, by {_verifier.TrustedSignerDescription}"
            : "Authenticode signature" + (verified.Count == 1 ? "" : "s") + " by " + string.Join(", ", verified.Select(r => $"thumbprint {r.Fingerprint} ('{r.Signer}')").Distinct())
              + (withChecks ? $" ({verified[0].Checks})" : "");

    /// <summary>Checks each executable; throws the first failure.</summary>
    public IReadOnlyList<SignatureResult> Verify(IEnumerable<string> executables, CancellationToken cancel) =>
        Verify(executables.Select(e => (e, e)), cancel);

    /// <summary>Checks each file, naming it in results and errors as its <c>ShownAs</c> (a staged file by where it will be); throws the first failure.</summary>
    public IReadOnlyList<SignatureResult> Verify(IEnumerable<(string Path, string ShownAs)> files, CancellationToken cancel)
    {
        var results = new List<SignatureResult>();
        foreach ((string path, string shownAs) in files) results.Add(_verifier.Verify(path, shownAs, cancel));
        // Nothing checked is not a verified signature: the caller must name what the policy covers.
        if (results.Count == 0) throw new InvalidOperationException("An Authenticode policy was given no executable to check.");
        return results;
    }
}
