namespace SecureInstall.Core.Downloads;

/// <summary>
/// How URIs appear in messages, verbose output and results: without the secrets some of them carry. This is the one
/// redaction: exception messages (see <see cref="SecureInstallException"/>), log lines and printed results all go through it.
/// </summary>
public static class UriText
{
    /// <summary>Query and fragment parameters whose names contain one of these hold credentials (X-Amz-Signature, sig, access_token, …).</summary>
    private static readonly string[] SecretParameterHints =
        { "sig", "token", "key", "credential", "auth", "password", "passwd", "secret", "session", "jwt", "assertion" };

    /// <summary>Short names matched whole (as substrings they would hide half of every query): an OAuth code, a password.</summary>
    private static readonly string[] SecretParameterNames = { "code", "pwd", "pass" };

    private const string Mask = "***";

    /// <summary>A URL nested in a query value nested in a query value … is followed this deep; deeper values are hidden.</summary>
    private const int MaximumDepth = 4;

    /// <summary>
    /// Drops user:password and hides query values whose names look like credentials: release hosts redirect to
    /// pre-signed URLs (X-Amz-Signature, sig=, token=) that work for anyone who reads them in a log. A URL nested in a
    /// query value (?redirect=https%3A%2F%2Fuser%3Apass%40host%2F…) is redacted the same way.
    /// </summary>
    public static string Redact(Uri? uri) => Redact(uri, 0, out _);

    /// <summary>The URI itself when it carries nothing to hide, else the redacted form (for result objects that keep a <see cref="Uri"/>).</summary>
    public static Uri RedactedUri(Uri uri)
    {
        if (uri == null) throw new ArgumentNullException(nameof(uri));
        string text = Redact(uri, 0, out bool changed);
        return changed && Uri.TryCreate(text, UriKind.RelativeOrAbsolute, out Uri? redacted) ? redacted : uri;
    }

    /// <summary>
    /// Redacts every URL written in free text (an exception message from the HTTP stack that names the proxy with its
    /// password, a log line): user:password and secret query values go, the rest of the text stays as it was.
    /// </summary>
    public static string RedactText(string? text) => RedactText(text, 0);

    /// <summary>
    /// The one redaction of log lines: wraps <paramref name="log"/> so that every line it is given loses the secrets of the
    /// URLs in it (<see cref="RedactText(string?)"/>). A log that is already such a wrapper is returned as it is, so a line
    /// that passes from the core's log to a front end's verbose output is redacted once, by whichever wrapped it first.
    /// </summary>
    public static Action<string> RedactingLog(Action<string> log)
    {
        if (log == null) throw new ArgumentNullException(nameof(log));
        return IsRedactingLog(log) ? log : new RedactingLogSink(log).Write;
    }

    /// <summary>Whether <paramref name="log"/> is a wrapper made by <see cref="RedactingLog"/>.</summary>
    internal static bool IsRedactingLog(Action<string>? log) => log?.Target is RedactingLogSink;

    private sealed class RedactingLogSink
    {
        private readonly Action<string> _log;

        public RedactingLogSink(Action<string> log) => _log = log;

        public void Write(string line) => _log(RedactText(line));
    }

    /// <summary>
    /// The exception itself when no message in its chain carries a secret; otherwise a copy of the chain with every
    /// message redacted (see <see cref="RedactedException"/>), so that the cause stays inspectable without the secret.
    /// </summary>
    public static Exception? RedactException(Exception? exception)
    {
        if (exception == null || !ChainNeedsRedaction(exception)) return exception;
        return new RedactedException(exception, RedactException(exception.InnerException));
    }

    private static bool ChainNeedsRedaction(Exception exception)
    {
        for (Exception? e = exception; e != null; e = e.InnerException)
        {
            if (e is RedactedException) return false;
            if (!string.Equals(RedactText(e.Message), e.Message, StringComparison.Ordinal)) return true;
        }
        return false;
    }

    private static string Redact(Uri? uri, int depth, out bool changed)
    {
        changed = false;
        if (uri == null) return string.Empty;
        if (!uri.IsAbsoluteUri)
        {
            string original = uri.OriginalString;
            string text = RedactText(original, depth);
            int question = text.IndexOf('?');
            if (question >= 0) text = text.Substring(0, question + 1) + RedactPairs(text.Substring(question + 1), depth, out _);
            changed = !string.Equals(text, original, StringComparison.Ordinal);
            return text;
        }
        if (uri.IsFile) return uri.LocalPath;
        changed = uri.UserInfo.Length > 0;
        var builder = new UriBuilder(uri) { UserName = string.Empty, Password = string.Empty };
        string query = uri.Query;
        if (query.Length > 1)
        {
            builder.Query = RedactPairs(query.Substring(1), depth, out bool queryChanged);
            changed |= queryChanged;
        }
        string fragment = uri.Fragment;
        if (fragment.Length > 1 && fragment.IndexOf('=') >= 0)
        {
            // OAuth's implicit flow puts access_token in the fragment.
            string redacted = RedactPairs(fragment.Substring(1), depth, out bool fragmentChanged);
            if (fragmentChanged) builder.Fragment = redacted;
            changed |= fragmentChanged;
        }
        return builder.Uri.AbsoluteUri;
    }

    /// <summary>name=value pairs joined by '&amp;', as written (escaped); secret values become ***, nested URLs are redacted.</summary>
    private static string RedactPairs(string pairs, int depth, out bool changed)
    {
        changed = false;
        var sb = new StringBuilder(pairs.Length);
        foreach (string pair in pairs.Split('&'))
        {
            if (sb.Length > 0) sb.Append('&');
            int eq = pair.IndexOf('=');
            if (eq < 0)
            {
                sb.Append(pair);
                continue;
            }
            string name = pair.Substring(0, eq);
            string value = pair.Substring(eq + 1);
            if (LooksSecret(Unescape(name)))
            {
                sb.Append(name).Append('=').Append(Mask);
                changed |= value != Mask;
            }
            else if (RedactNested(value, depth + 1) is string nested)
            {
                sb.Append(name).Append('=').Append(nested);
                changed = true;
            }
            else
            {
                sb.Append(pair);
            }
        }
        return sb.ToString();
    }

    /// <summary>Null when the value hides nothing; else the value with the URL(s) in it redacted, escaped again.</summary>
    private static string? RedactNested(string value, int depth)
    {
        if (value.IndexOf("//", StringComparison.Ordinal) < 0 && value.IndexOf("%2", StringComparison.OrdinalIgnoreCase) < 0) return null;
        string decoded = Unescape(value);
        // Doubly escaped values (a redirect inside a redirect) are decoded until they stop changing.
        for (int i = 0; i < 3; i++)
        {
            string next = Unescape(decoded);
            if (next == decoded) break;
            decoded = next;
        }
        if (decoded.IndexOf("//", StringComparison.Ordinal) < 0) return null;
        if (depth > MaximumDepth) return Mask;
        string redacted = RedactText(decoded, depth);
        if (string.Equals(redacted, decoded, StringComparison.Ordinal)) return null;
        return Uri.EscapeDataString(redacted).Replace("%2A", "*");
    }

    private static string RedactText(string? text, int depth)
    {
        if (string.IsNullOrEmpty(text)) return text ?? string.Empty;
        int marker = text!.IndexOf("://", StringComparison.Ordinal);
        if (marker < 0) return text;
        var sb = new StringBuilder(text.Length);
        int copied = 0;
        while (marker >= 0)
        {
            int start = marker;
            while (start > copied && IsSchemeChar(text[start - 1])) start--;
            int end = marker + 3;
            while (end < text.Length && !EndsUrl(text[end])) end++;
            while (end > marker + 3 && ".,;:!)]}".IndexOf(text[end - 1]) >= 0) end--;
            if (start < marker && char.IsLetter(text[start]))
            {
                string candidate = text.Substring(start, end - start);
                sb.Append(text, copied, start - copied).Append(RedactWritten(candidate, marker - start, depth));
                copied = end;
            }
            marker = text.IndexOf("://", Math.Max(end, marker + 3), StringComparison.Ordinal);
        }
        sb.Append(text, copied, text.Length - copied);
        string result = sb.ToString();
        return string.Equals(result, text, StringComparison.Ordinal) ? text : result;
    }

    /// <summary>
    /// One URL as it was written in text, edited in place rather than re-parsed, so that the message keeps its wording
    /// and a URL that System.Uri would not parse is redacted all the same.
    /// </summary>
    private static string RedactWritten(string url, int schemeLength, int depth)
    {
        int authorityStart = schemeLength + 3;
        int authorityEnd = url.IndexOfAny(new[] { '/', '?', '#', '\\' }, authorityStart);
        if (authorityEnd < 0) authorityEnd = url.Length;
        int at = authorityEnd > authorityStart ? url.LastIndexOf('@', authorityEnd - 1, authorityEnd - authorityStart) : -1;
        if (at >= 0)
        {
            url = url.Substring(0, authorityStart) + url.Substring(at + 1);
            authorityEnd -= at + 1 - authorityStart;
        }
        int question = url.IndexOf('?', authorityEnd);
        int hash = url.IndexOf('#', authorityEnd);
        if (question >= 0 && (hash < 0 || question < hash))
        {
            int queryEnd = hash < 0 ? url.Length : hash;
            string query = RedactPairs(url.Substring(question + 1, queryEnd - question - 1), depth, out _);
            url = url.Substring(0, question + 1) + query + url.Substring(queryEnd);
            hash = url.IndexOf('#', question + 1 + query.Length);
        }
        if (hash >= 0 && url.IndexOf('=', hash) >= 0) url = url.Substring(0, hash + 1) + RedactPairs(url.Substring(hash + 1), depth, out _);
        return url;
    }

    private static bool IsSchemeChar(char c) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';

    private static bool EndsUrl(char c) => char.IsWhiteSpace(c) || c == '\'' || c == '"' || c == '<' || c == '>' || c == '`';

    private static string Unescape(string text)
    {
        try
        {
            return Uri.UnescapeDataString(text);
        }
        catch (UriFormatException)
        {
            return text;
        }
    }

    private static bool LooksSecret(string name)
    {
        string lower = name.Trim().ToLowerInvariant();
        foreach (string hint in SecretParameterHints)
        {
            if (lower.IndexOf(hint, StringComparison.Ordinal) >= 0) return true;
        }
        foreach (string whole in SecretParameterNames)
        {
            if (lower == whole) return true;
        }
        return false;
    }
}
