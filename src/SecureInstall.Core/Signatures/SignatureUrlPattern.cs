namespace SecureInstall.Core.Signatures;

/// <summary>
/// Where a manifest's signature (<c>url:</c>) or Sigstore bundle (<c>bundle:</c>) is, from its pattern: {url} the
/// artifact URL, {file} its file name, {version} the version. A relative result ("sigs/{file}.sig") is read against the
/// artifact URL, as relative artifact URLs are against the manifest.
/// </summary>
internal static class SignatureUrlPattern
{
    /// <exception cref="SignatureFormatException">the expanded pattern is not a URL.</exception>
    public static Uri Expand(string pattern, Uri artifactUrl, string version, string where, string what)
    {
        string fileName = Path.GetFileName(artifactUrl.IsFile ? artifactUrl.LocalPath : Uri.UnescapeDataString(artifactUrl.AbsolutePath));
        string text = pattern.Replace("{url}", artifactUrl.AbsoluteUri).Replace("{file}", fileName).Replace("{version}", version);
        if (Uri.TryCreate(text, UriKind.Absolute, out Uri? uri) || Uri.TryCreate(artifactUrl, text, out uri)) return uri!;
        throw new SignatureFormatException(where, $"the {what} url '{text}' is not a URL.");
    }
}
