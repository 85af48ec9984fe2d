using System;
using System.Text;

namespace SecureInstall.Core.Downloads;

/// <summary>How URIs appear in messages, verbose output and results: without the secrets some of them carry.</summary>
public static class UriText
{
    private static readonly string[] SecretParameterHints = { "sig", "token", "key", "credential", "auth", "password", "secret", "signature" };

    /// <summary>
    /// Drops user:password and hides query values whose names look like credentials: release hosts redirect to
    /// pre-signed URLs (X-Amz-Signature, sig=, token=) that work for anyone who reads them in a log.
    /// </summary>
    public static string Redact(Uri? uri)
    {
        if (uri == null) return string.Empty;
        if (!uri.IsAbsoluteUri) return uri.OriginalString;
        if (uri.IsFile) return uri.LocalPath;
        var builder = new UriBuilder(uri) { UserName = string.Empty, Password = string.Empty };
        string query = uri.Query;
        if (query.Length > 1)
        {
            var sb = new StringBuilder();
            foreach (string pair in query.Substring(1).Split('&'))
            {
                if (sb.Length > 0) sb.Append('&');
                int eq = pair.IndexOf('=');
                string name = eq < 0 ? pair : pair.Substring(0, eq);
                if (eq >= 0 && LooksSecret(name)) sb.Append(name).Append("=***");
                else sb.Append(pair);
            }
            builder.Query = sb.ToString();
        }
        string text = builder.Uri.AbsoluteUri;
        return text;
    }

    private static bool LooksSecret(string name)
    {
        string lower = name.ToLowerInvariant();
        foreach (string hint in SecretParameterHints)
        {
            if (lower.IndexOf(hint, StringComparison.Ordinal) >= 0) return true;
        }
        return false;
    }
}
