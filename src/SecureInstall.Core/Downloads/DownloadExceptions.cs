namespace SecureInstall.Core.Downloads;

/// <summary>The artifact is larger than the caller allows; the transfer stopped when the limit was passed.</summary>
public sealed class SizeLimitExceededException : UriFailureException
{
    public SizeLimitExceededException(Uri uri, long limit, long seen)
        : this(uri, limit, seen, "Raise -MaximumSize (--maximum-size) if this file is meant to be this large.")
    {
    }

    /// <param name="remedy">What the user can do; the default names -MaximumSize, which a file's own cap (<see cref="DownloadRequest.MaximumSize"/>) does not follow.</param>
    public SizeLimitExceededException(Uri uri, long limit, long seen, string remedy)
        : base($"'{UriText.Redact(uri)}' is larger than the limit of {limit:N0} bytes (at least {seen:N0} bytes). The download was stopped and nothing was kept. {remedy}",
               ErrorIds.SizeLimitExceeded, FailureKind.LimitExceeded, uri)
    {
        Limit = limit;
        Seen = seen;
    }

    public long Limit { get; }

    /// <summary>Bytes announced or received when the limit was found to be passed.</summary>
    public long Seen { get; }
}

/// <summary>The artifact's size is not the one the caller expected.</summary>
public sealed class SizeMismatchException : UriFailureException
{
    public SizeMismatchException(Uri uri, long expected, long actual)
        : base($"'{UriText.Redact(uri)}' is {actual:N0} bytes, but {expected:N0} bytes were expected. The file is not the one that was published; nothing was kept.",
               ErrorIds.SizeMismatch, FailureKind.Security, uri)
    {
        Expected = expected;
        Actual = actual;
    }

    public long Expected { get; }
    public long Actual { get; }
}

/// <summary>A redirect would have weakened the transport: https to http, or to a scheme that is not HTTP.</summary>
public sealed class InsecureRedirectException : SecureInstallException
{
    public InsecureRedirectException(Uri from, Uri to)
        : base($"'{UriText.Redact(from)}' redirected to '{UriText.Redact(to)}', which would drop HTTPS. Refused: anyone on the path could replace the file. Ask the publisher for an HTTPS link.",
               ErrorIds.InsecureRedirect, FailureKind.Security, UriText.Redact(to))
    {
        From = UriText.RedactedUri(from);
        To = UriText.RedactedUri(to);
    }

    public Uri From { get; }
    public Uri To { get; }
}

/// <summary>An http:// (or other unencrypted) URI was given without the caller allowing it.</summary>
public sealed class InsecureTransportException : UriFailureException
{
    public InsecureTransportException(Uri uri)
        : base($"'{UriText.Redact(uri)}' is not HTTPS. Only https:// and file:// URIs are fetched unless -AllowInsecureTransport (--allow-insecure-transport) is given; with a pinned digest that is safe, without one it is not.",
               ErrorIds.InsecureTransport, FailureKind.Security, uri)
    {
    }

    /// <summary>With a message of its own: a plain-HTTP registry names the registry and where it was written.</summary>
    public InsecureTransportException(Uri uri, string message)
        : base(message, ErrorIds.InsecureTransport, FailureKind.Security, uri)
    {
    }
}

/// <summary>The server redirected more times than allowed, or in a loop.</summary>
public sealed class TooManyRedirectsException : UriFailureException
{
    public TooManyRedirectsException(Uri uri, int limit, bool loop)
        : base(loop
                ? $"'{UriText.Redact(uri)}' redirects in a loop. The server is misconfigured; try another mirror."
                : $"'{UriText.Redact(uri)}' redirected more than {limit} times. The server is misconfigured; try another mirror.",
               ErrorIds.TooManyRedirects, FailureKind.ResourceUnavailable, uri)
    {
        Limit = limit;
        IsLoop = loop;
    }

    public int Limit { get; }
    public bool IsLoop { get; }
}

/// <summary>The server or the network failed (after the retries allowed), or answered with an error status.</summary>
public sealed class DownloadFailedException : UriFailureException
{
    public DownloadFailedException(Uri uri, int? statusCode, string reason, int attempts, Exception? innerException = null)
        : base($"Downloading '{UriText.Redact(uri)}' failed{(attempts > 1 ? $" after {attempts} attempts" : "")}: {reason}",
               ErrorIds.DownloadFailed, FailureKind.ResourceUnavailable, uri, innerException)
    {
        StatusCode = statusCode;
        Reason = reason;
        Attempts = attempts;
    }


    /// <summary>The last HTTP status, when a response was received.</summary>
    public int? StatusCode { get; }
    public string Reason { get; }
    public int Attempts { get; }
}

/// <summary>The server sent a web page where a file was expected: a login page, an error page, a "download will start" page.</summary>
public sealed class UnexpectedHtmlException : UriFailureException
{
    public UnexpectedHtmlException(Uri uri, string evidence)
        : base($"'{UriText.Redact(uri)}' returned an HTML page ({evidence}) instead of the file. The link probably points at a web page or needs a login; use the direct download link.",
               ErrorIds.UnexpectedHtml, FailureKind.InvalidData, uri)
    {
        Evidence = evidence;
    }

    public string Evidence { get; }
}

/// <summary>No bytes arrived for longer than the stall timeout, on every attempt allowed.</summary>
public sealed class DownloadStalledException : UriFailureException
{
    public DownloadStalledException(Uri uri, TimeSpan stallTimeout, long received, int attempts)
        : base($"Downloading '{UriText.Redact(uri)}' stalled: no data for {stallTimeout.TotalSeconds:0.#} s after {received:N0} bytes{(attempts > 1 ? $", on {attempts} attempts" : "")}. Try again later or another mirror.",
               ErrorIds.DownloadStalled, FailureKind.ResourceUnavailable, uri)
    {
        StallTimeout = stallTimeout;
        Received = received;
        Attempts = attempts;
    }

    public TimeSpan StallTimeout { get; }
    public long Received { get; }
    public int Attempts { get; }
}

/// <summary>Nothing says what the file must hash to, and the caller did not opt out: fail closed.</summary>
public sealed class VerificationRequiredException : UriFailureException
{
    public VerificationRequiredException(Uri uri)
        : base($"No expected digest for '{UriText.Redact(uri)}'. Give -Sha256 (--sha256), -ChecksumUri (--checksums-uri) or -ChecksumFile; or -SkipVerification to download without checking, which prints the digest seen so you can pin it.",
               ErrorIds.VerificationRequired, FailureKind.Security, uri)
    {
    }
}

/// <summary>
/// The proxy answered 407: it wants credentials it was not given, or refused the ones it was. Not retried: the same
/// request would be refused again, and a proxy may lock the account after a few refusals.
/// </summary>
public sealed class ProxyAuthenticationRequiredException : UriFailureException
{
    public ProxyAuthenticationRequiredException(Uri uri, Uri? proxy, Exception? innerException = null)
        : base($"The proxy{(proxy != null ? $" '{UriText.Redact(proxy)}'" : "")} answered 407 Proxy Authentication Required for '{UriText.Redact(uri)}': it needs credentials it was not given, or refused the ones it was" +
               $"{(innerException != null ? $" ({Innermost(innerException).Message.Trim().TrimEnd('.', '"')})" : "")}. " +
               "Give the proxy's user and password in its URI (user:password@ before the host, in -Proxy, --proxy or HTTPS_PROXY) or with -ProxyCredential. The request was not retried.",
               ErrorIds.ProxyAuthenticationRequired, FailureKind.AuthenticationFailed, uri, innerException)
    {
        Proxy = proxy == null ? null : UriText.RedactedUri(proxy);
    }


    /// <summary>The proxy (without its credentials), when it was given explicitly; null for the system or environment proxy.</summary>
    public Uri? Proxy { get; }

    private static Exception Innermost(Exception ex)
    {
        while (ex.InnerException != null) ex = ex.InnerException;
        return ex;
    }
}

/// <summary>A proxy given explicitly cannot be used as written: not an absolute URI, or credentials given twice.</summary>
public sealed class ProxyInvalidException : SecureInstallException
{
    public ProxyInvalidException(string proxy, string reason)
        : base($"The proxy '{proxy}' cannot be used: {reason}", ErrorIds.ProxyInvalid, FailureKind.InvalidArgument, proxy)
    {
    }
}
