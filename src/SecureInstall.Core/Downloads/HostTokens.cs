namespace SecureInstall.Core.Downloads;

/// <summary>Which ambient credentials may be sent where: GitHub's token only to GitHub's own hosts.</summary>
public static class HostTokens
{
    /// <summary>
    /// github.com and api.github.com. Not *.githubusercontent.com: release assets redirect there with a pre-signed
    /// URL, and a token sent along would be handed to a storage host that does not need it.
    /// </summary>
    public static bool IsGitHubHost(Uri uri) =>
        uri != null && uri.Scheme == Uri.UriSchemeHttps
        && (string.Equals(uri.Host, "github.com", StringComparison.OrdinalIgnoreCase) || string.Equals(uri.Host, "api.github.com", StringComparison.OrdinalIgnoreCase));

    /// <summary>GITHUB_TOKEN, else GH_TOKEN (the names the gh CLI and Actions use), for a GitHub URI; null otherwise.</summary>
    public static string? FromEnvironment(Uri uri, Func<string, string?> getVariable)
    {
        if (getVariable == null) throw new ArgumentNullException(nameof(getVariable));
        if (!IsGitHubHost(uri)) return null;
        foreach (string name in new[] { "GITHUB_TOKEN", "GH_TOKEN" })
        {
            string? value = getVariable(name);
            if (!string.IsNullOrWhiteSpace(value)) return value!.Trim();
        }
        return null;
    }
}
