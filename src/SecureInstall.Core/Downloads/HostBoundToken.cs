namespace SecureInstall.Core.Downloads;

/// <summary>
/// A bearer token with the hosts the user tied it to: the URI given with it on the command line, or a -TokenHost list.
/// A batch row for any other host gets no token, so a CSV of URIs cannot carry the token to a host nobody chose.
/// </summary>
public sealed class HostBoundToken
{
    private readonly HashSet<string> _hosts;

    private HostBoundToken(string token, IEnumerable<string> hosts)
    {
        Token = token;
        _hosts = new HashSet<string>(hosts, StringComparer.Ordinal);
    }

    public string Token { get; }

    /// <summary>The hosts the token goes to, as host:port.</summary>
    public IReadOnlyCollection<string> Hosts => _hosts;

    /// <summary>
    /// Tied to the host of <paramref name="commandLineUri"/> (the -Uri typed with the token, null when the URIs come from
    /// the pipeline) and to each entry of <paramref name="hosts"/>: a host name, host:port, or a URI whose host and port
    /// are taken; a bare host means port 443. With neither, the token is tied to nothing and is refused
    /// (<see cref="ErrorIds.TokenHostRequired"/>) rather than sent to whatever host each row names.
    /// </summary>
    public static HostBoundToken Create(string token, Uri? commandLineUri, IEnumerable<string>? hosts)
    {
        if (token == null) throw new ArgumentNullException(nameof(token));
        var parsed = new List<string>();
        if (commandLineUri != null && commandLineUri.IsAbsoluteUri && !commandLineUri.IsFile) parsed.Add(HostOf(commandLineUri));
        foreach (string entry in hosts ?? Array.Empty<string>())
        {
            string text = (entry ?? string.Empty).Trim();
            bool written = text.IndexOf("://", StringComparison.Ordinal) >= 0;
            Uri? uri = null;
            bool ok = text.Length > 0
                      && Uri.TryCreate(written ? text : "https://" + text, UriKind.Absolute, out uri)
                      && uri.Host.Length > 0 && uri.UserInfo.Length == 0 && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
                      && (written || (uri.AbsolutePath == "/" && uri.Query.Length == 0 && uri.Fragment.Length == 0 && !text.EndsWith("/", StringComparison.Ordinal)));
            if (!ok)
                throw new TokenHostException(ErrorIds.TokenHostInvalid, entry ?? string.Empty,
                    $"-TokenHost '{entry}' is not a host: give a host name, host:port or an https:// URI (e.g. api.example.com or 127.0.0.1:8443).");
            parsed.Add(HostOf(uri!));
        }
        if (parsed.Count == 0)
            throw new TokenHostException(ErrorIds.TokenHostRequired, "-Token",
                "-Token is tied to no host: the URIs come from the pipeline, and a token is not sent to whatever host each row names. " +
                "Name the hosts that may receive it with -TokenHost (e.g. -TokenHost api.example.com), or give -Uri on the command line.");
        return new HostBoundToken(token, parsed);
    }

    /// <summary>
    /// The token a front end was given, tied as <see cref="Create"/> ties it; null when none was given. Hosts named
    /// without a token are refused (<see cref="ErrorIds.TokenHostInvalid"/>): a host list alone sends nothing anywhere,
    /// and the user who typed it believes a token is in play.
    /// </summary>
    public static HostBoundToken? FromOptions(string? token, Uri? commandLineUri, IReadOnlyCollection<string>? hosts)
    {
        if (!string.IsNullOrEmpty(token)) return Create(token!, commandLineUri, hosts);
        if (hosts is { Count: > 0 })
            throw new TokenHostException(ErrorIds.TokenHostInvalid, "-TokenHost", "-TokenHost names the hosts that may receive -Token, but no -Token was given.");
        return null;
    }

    /// <summary>The token when <paramref name="uri"/> is on a host it is tied to; otherwise null.</summary>
    public string? For(Uri uri) => uri != null && uri.IsAbsoluteUri && !uri.IsFile && _hosts.Contains(HostOf(uri)) ? Token : null;

    /// <summary>host:port, lower case; the port is explicit so that 127.0.0.1:8080 and 127.0.0.1:9090 are different hosts.</summary>
    public static string HostOf(Uri uri) => uri.IdnHost.ToLowerInvariant() + ":" + uri.Port;

    public override string ToString() => string.Join(", ", _hosts.OrderBy(h => h, StringComparer.Ordinal));
}

/// <summary>-Token cannot be tied to a host: none was named, or a -TokenHost entry is not a host.</summary>
public sealed class TokenHostException : SecureInstallException
{
    public TokenHostException(string errorId, string target, string message)
        : base(message, errorId, FailureKind.InvalidArgument, target)
    {
    }
}
