using SecureInstall.Core.Signatures;

namespace SecureInstall.Core.Downloads;

/// <summary>
/// What both front ends (Get-VerifiedArtifact, `secureinstall get`) do to turn their options into a
/// <see cref="DownloadRequest"/>, so each rule has one owner: a destination that is a folder receives the file under
/// the URI's file name; a signature URI needs a key; the token goes to the hosts it is tied to, else GitHub's token
/// from the environment to GitHub only. The caller then adds the digest source, which its own options decide.
/// </summary>
public sealed class DownloadRequestBuilder
{
    private readonly SignatureKeySpec _keys;
    private readonly Func<string, string?> _getEnvironmentVariable;

    /// <summary>
    /// <paramref name="keys"/> names the key options in messages; <paramref name="verifier"/> is what it built (null:
    /// no key given). <paramref name="token"/> is the token tied to hosts, when one was given.
    /// </summary>
    public DownloadRequestBuilder(SignatureKeySpec keys, DetachedSignatureVerifier? verifier, HostBoundToken? token, Func<string, string?>? getEnvironmentVariable = null,
        AuthenticodeVerifier? authenticode = null)
    {
        Authenticode = authenticode;
        _keys = keys ?? throw new ArgumentNullException(nameof(keys));
        SignatureVerifier = verifier;
        Token = token;
        _getEnvironmentVariable = getEnvironmentVariable ?? Environment.GetEnvironmentVariable;
    }

    public DetachedSignatureVerifier? SignatureVerifier { get; }

    public HostBoundToken? Token { get; }

    /// <summary>The Authenticode signer every artifact must carry (<see cref="AuthenticodeVerifier.FromPins"/>), or null.</summary>
    public AuthenticodeVerifier? Authenticode { get; }

    /// <summary>
    /// The request for <paramref name="uris"/> placed at <paramref name="destination"/> (empty: the current folder).
    /// Throws <see cref="SignatureParametersException"/> for a signature URI without a key.
    /// </summary>
    public DownloadRequest Create(IReadOnlyList<Uri> uris, string destination, Uri? signatureUri)
    {
        if (uris == null) throw new ArgumentNullException(nameof(uris));
        DownloadRequest request = new(uris, PlacedAt(uris, destination ?? throw new ArgumentNullException(nameof(destination))));
        if (signatureUri != null && SignatureVerifier == null) throw _keys.SignatureUriWithoutKey();
        request.SignatureUri = signatureUri;
        request.SignatureVerifier = SignatureVerifier;
        request.Authenticode = Authenticode;
        Uri first = request.Uris[0];
        request.Token = Token?.For(first) ?? HostTokens.FromEnvironment(first, _getEnvironmentVariable);
        return request;
    }

    /// <summary>Where the file goes: <paramref name="destination"/>, or, when it is a folder (empty: the current one), the URI's file name in it.</summary>
    public static string PlacedAt(IReadOnlyList<Uri> uris, string destination)
    {
        if (destination == null) throw new ArgumentNullException(nameof(destination));
        string folder = destination.Length == 0 ? "." : destination;
        if (destination.Length > 0 && !Directory.Exists(destination)) return destination;
        string name = new DownloadRequest(uris, folder).LookupName;
        // The name is decoded from the URI: "..%5C..%5Cevil.exe" must not place the file outside the folder (on Windows '\\' separates).
        if (!IO.RelativePath.IsPlainFileName(name))
            throw new InvalidUriException(uris[0], "The URI", $"ends in '{name}', which is not one plain file name to save under {folder}; give the destination as a file path.");
        return Path.Combine(folder, name);
    }
}
