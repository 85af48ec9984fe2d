namespace SecureInstall.Core.Signatures;

/// <summary>
/// Where a manifest's signature (<c>url:</c>) or Sigstore bundle (<c>bundle:</c>) is, from its pattern: {url} the
/// artifact URL, {file} its file name, {version} the version, {sha256} its pinned SHA-256 (lower-case hex: GitHub serves
/// attestations by digest, /repos/OWNER/REPO/attestations/sha256:{sha256}). A relative result ("sigs/{file}.sig") is read against the
/// artifact URL, as relative artifact URLs are against the manifest.
/// </summary>
internal static class SignatureUrlPattern
{
    /// <exception cref="SignatureFormatException">the expanded pattern is not a URL, or it names {sha256} and the artifact is pinned by no SHA-256.</exception>
    public static Uri Expand(string pattern, Uri artifactUrl, string version, string where, string what, string? sha256 = null)
    {
        string fileName = Path.GetFileName(artifactUrl.IsFile ? artifactUrl.LocalPath : Uri.UnescapeDataString(artifactUrl.AbsolutePath));
        if (pattern.Contains("{sha256}") && sha256 == null)
            throw new SignatureFormatException(where, $"the {what} url '{pattern}' names {{sha256}}, and the artifact is pinned by no SHA-256 (pin it with sha256:).");
        string text = pattern.Replace("{url}", artifactUrl.AbsoluteUri).Replace("{file}", fileName).Replace("{version}", version)
            .Replace("{sha256}", sha256?.ToLowerInvariant() ?? string.Empty);
        if (Uri.TryCreate(text, UriKind.Absolute, out Uri? uri) || Uri.TryCreate(artifactUrl, text, out uri)) return uri!;
        throw new SignatureFormatException(where, $"the {what} url '{text}' is not a URL.");
    }
}
