using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Security.Authentication;
using SecureInstall.Core.Checksums;

namespace SecureInstall.Core.Downloads;

/// <summary>
/// Moves the bytes of one URI into a <see cref="DigestSink"/>: HTTP(S) with redirects followed by hand (no https→http, a
/// finite chain, the token only to its origin), retries with backoff, resume with a validated range; a file:// URI is
/// read directly. Knows nothing of digests or the cache.
/// </summary>
internal sealed class DownloadTransport : IDisposable
{
    private readonly VerifiedDownloaderOptions _options;
    private readonly HttpClient _client;
    private readonly ChunkedCopy _copy;
    private readonly Action<string> _log;
    private readonly Random _jitter = new();

    /// <param name="handler">Used as is when given (it must not follow redirects itself).</param>
    public DownloadTransport(VerifiedDownloaderOptions options, HttpMessageHandler? handler, ChunkedCopy copy, Action<string> log)
    {
        _options = options;
        _copy = copy;
        _log = log;
        _client = new HttpClient(handler ?? CreateHandler(options), disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        _client.DefaultRequestHeaders.UserAgent.ParseAdd(options.UserAgent);
    }

    public void Dispose() => _client.Dispose();

    /// <summary>The one HTTP handler policy (no automatic redirects or decompression, no cookies, TLS 1.2+); the registry client uses it too.</summary>
    internal static HttpMessageHandler CreateHandler(VerifiedDownloaderOptions options)
    {
        var handler = new HttpClientHandler
        {
            // Redirects are followed by hand: to cap them, refuse https→http and drop the token on a host change.
            AllowAutoRedirect = false,
            // The digest is of the bytes as published; never let a transfer encoding change them.
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            UseDefaultCredentials = false,
            UseProxy = options.UseProxy || options.Proxy != null,
        };
        if (options.Proxy != null) handler.Proxy = options.Proxy;
        if (HostRuntime.IsNetFramework)
        {
            // Windows PowerShell 5.1 defaults to SSL3/TLS 1.0 unless told otherwise; add TLS 1.2 to the process-wide set
            // (adding, not replacing, so other code in the session keeps working).
            ServicePointManager.SecurityProtocol |= SecurityProtocolType.Tls12;
        }
        try
        {
            // TLS 1.3 (0x3000) is missing from netstandard2.0's enum; on .NET Framework it fails where the OS lacks it.
            handler.SslProtocols = HostRuntime.IsNetFramework ? SslProtocols.Tls12 : SslProtocols.Tls12 | (SslProtocols)0x3000;
        }
        catch (PlatformNotSupportedException)
        {
        }
        if (options.ServerCertificateValidation != null)
            handler.ServerCertificateCustomValidationCallback = options.ServerCertificateValidation;
        return handler;
    }

    /// <summary>The origin (scheme, host, port) a token is bound to.</summary>
    public static string Origin(Uri uri) => uri.Scheme + "://" + uri.IdnHost.ToLowerInvariant() + ":" + uri.Port;

    /// <summary>The token is bound to the origin of the request's first URI: mirrors and lists elsewhere never see it.</summary>
    public static string? TokenFor(DownloadRequest request, Uri target) =>
        request.Token != null && Origin(target) == Origin(request.Uris[0]) ? request.Token : null;

    /// <summary>
    /// The one capped fetch of a small document (a checksum list, a signature, a bundle) into memory: at most
    /// <paramref name="maximumBytes"/>, refused beyond (before the bytes are kept) and refused when it is an HTML page.
    /// </summary>
    /// <param name="postJson">When given, the request is a POST of this JSON (a read-only query such as Rekor's index search), never redirected.</param>
    public async Task<byte[]> FetchSmallAsync(Uri uri, string? token, string what, long maximumBytes, CancellationToken cancellationToken, byte[]? postJson = null)
    {
        DownloadPreflight.CheckScheme(uri, _options.AllowInsecureTransport);
        _log($"Fetching the {what} {UriText.Redact(uri)}.");
        using var buffer = new MemoryStream();
        using (var sink = new DigestSink(buffer, null))
        {
            await FetchIntoAsync(uri, RequestAuthorization.Fixed(Bearer(token)), sink, maximumBytes, null, checkHtml: true, null, cancellationToken, postJson).ConfigureAwait(false);
        }
        return buffer.ToArray();
    }

    /// <summary>A bearer token as an Authorization header value, or null.</summary>
    public static AuthenticationHeaderValue? Bearer(string? token) => token == null ? null : new AuthenticationHeaderValue("Bearer", token);

    /// <summary>
    /// Streams <paramref name="uri"/> into <paramref name="sink"/>, with redirects, retries and resume.
    /// <paramref name="authorization"/> goes to <paramref name="uri"/>'s own origin only, never after a redirect elsewhere; it is
    /// asked for at every attempt (a resume after a registry token expired gets a current one) and renewed once on a 401.
    /// </summary>
    public async Task<FetchInfo> FetchIntoAsync(Uri uri, RequestAuthorization? authorization, DigestSink sink, long maximumSize, long? expectedSize, bool checkHtml,
        IProgress<DownloadProgress>? progress, CancellationToken cancellationToken, byte[]? postJson = null)
    {
        if (uri.IsFile && postJson != null) throw new ArgumentException("a query is never sent to a file: URI", nameof(postJson));
        if (uri.IsFile) return await FetchFileIntoAsync(uri, sink, maximumSize, expectedSize, checkHtml, progress, cancellationToken).ConfigureAwait(false);

        int attempts = 0, retries = 0;
        RangeConditionHeaderValue? validator = null;
        bool acceptsRanges = false, renewed = false;
        var rate = new RateMeter();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            bool resume = postJson == null && sink.Length > 0 && acceptsRanges && validator != null;
            if (sink.Length > 0 && !resume)
            {
                _log("The server does not support resuming; starting again from byte 0.");
                sink.Reset();
            }
            attempts++;
            using var watch = new StallWatch(_options.StallTimeout, cancellationToken);
            try
            {
                AuthenticationHeaderValue? header = authorization == null ? null : await AskAsync(() => authorization.CurrentAsync(cancellationToken), cancellationToken).ConfigureAwait(false);
                (HttpResponseMessage response, Uri finalUri, List<Uri> redirects) =
                    await SendAsync(uri, header, resume ? sink.Length : null, resume ? validator : null, watch, cancellationToken, postJson).ConfigureAwait(false);
                using (response)
                using (watch.OnStall(response.Dispose))
                {
                    int status = (int)response.StatusCode;
                    // Refused by the origin the header went to (the chain never left it): a token that expired since it was
                    // asked for, or that the registry revoked. Asked for anew once; a second 401 in a row is the answer.
                    if (status == 401 && header != null && authorization!.CanRenew && !renewed && redirects.TrueForAll(r => Origin(r) == Origin(uri)))
                    {
                        renewed = true;
                        _log($"{UriText.Redact(uri)} refused the credentials sent{(resume ? " with the resume" : "")} (HTTP 401); asking for new ones and trying again.");
                        await AskAsync(() => authorization.RenewAsync(header, cancellationToken), cancellationToken).ConfigureAwait(false);
                        continue;
                    }
                    if (status != 401) renewed = false;
                    if (status == 408 || status == 429 || status >= 500)
                        throw new TransientFailure($"HTTP {status} {response.ReasonPhrase}", status, RetryAfter(response, _options.MaximumRetryAfter));
                    if (status == 416 && resume)
                    {
                        sink.Reset();
                        validator = null;
                        throw new TransientFailure("the server refused the resume range (416)", status, TimeSpan.Zero);
                    }
                    if (status < 200 || status > 299)
                        throw new DownloadFailedException(uri, status, $"the server answered HTTP {status} {response.ReasonPhrase}.", attempts);

                    if (resume && status == 206)
                    {
                        long? start = response.Content.Headers.ContentRange?.From;
                        if (start != sink.Length)
                        {
                            sink.Reset();
                            throw new TransientFailure($"the server sent a range from byte {start?.ToString(CultureInfo.InvariantCulture) ?? "?"} instead of {sink.Length}", status, TimeSpan.Zero);
                        }
                        _log($"Resuming at byte {sink.Length:N0}.");
                    }
                    else if (resume || status == 206)
                    {
                        // A server that ignores Range sends the whole file with 200: keeping our bytes would splice two copies.
                        _log($"The server answered {status} to a range request; starting again from byte 0.");
                        sink.Reset();
                        if (status == 206) throw new TransientFailure("the server sent a partial response that was not asked for", status, TimeSpan.Zero);
                    }
                    if (status == 200)
                    {
                        EntityTagHeaderValue? etag = response.Headers.ETag;
                        validator = etag != null && !etag.IsWeak ? new RangeConditionHeaderValue(etag)
                            : response.Content.Headers.LastModified is DateTimeOffset modified ? new RangeConditionHeaderValue(modified) : null;
                        acceptsRanges = response.Headers.AcceptRanges.Contains("bytes");
                    }

                    string? mediaType = response.Content.Headers.ContentType?.MediaType;
                    if (checkHtml && (string.Equals(mediaType, "text/html", StringComparison.OrdinalIgnoreCase)
                                      || string.Equals(mediaType, "application/xhtml+xml", StringComparison.OrdinalIgnoreCase)))
                        throw new UnexpectedHtmlException(uri, $"Content-Type {mediaType}");

                    long? length = response.Content.Headers.ContentLength;
                    long? total = length.HasValue ? sink.Length + length.Value : response.Content.Headers.ContentRange?.Length;
                    if (total > maximumSize) throw new SizeLimitExceededException(uri, maximumSize, total.Value);
                    if (expectedSize.HasValue && total.HasValue && total.Value != expectedSize.Value)
                        throw new SizeMismatchException(uri, expectedSize.Value, total.Value);

                    long startLength = sink.Length;
                    Stream body;
                    try
                    {
                        body = await response.Content.ReadAsStreamAsync().ConfigureAwait(false);
                    }
                    catch (Exception ex) when (TransientFailure.IsNetworkFailure(ex, watch, cancellationToken))
                    {
                        throw TransientFailure.From(ex, watch, sink.Length);
                    }
                    using (body)
                    {
                        await _copy.CopyAsync(body, sink, total, maximumSize, uri, progress, watch, cancellationToken, rate, checkHtml).ConfigureAwait(false);
                    }
                    if (length.HasValue && sink.Length - startLength < length.Value)
                        throw new TransientFailure($"the connection closed after {sink.Length:N0} of {total:N0} bytes");
                    if (checkHtml && sink.HtmlEvidence() is string evidence) throw new UnexpectedHtmlException(uri, evidence);
                    return new FetchInfo(finalUri, redirects, attempts);
                }
            }
            catch (TransientFailure failure)
            {
                if (retries >= _options.MaximumRetries)
                {
                    if (failure.Stalled) throw new DownloadStalledException(uri, _options.StallTimeout, sink.Length, attempts);
                    throw new DownloadFailedException(uri, failure.StatusCode, failure.Message + ".", attempts, failure.InnerException);
                }
                retries++;
                TimeSpan delay = failure.RetryAfter ?? Backoff(retries);
                _log($"Attempt {attempts} failed: {failure.Message}; retrying in {delay.TotalSeconds:0.##} s.");
                await _options.Delay(delay, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// A header from <paramref name="ask"/> (asked for, or renewed, within an attempt). A token due for renewal asks the
    /// registry again; one unreachable for the moment (restarting mid-pull) is a <see cref="TransientFailure"/>, waited for
    /// and asked again as the resume's own connection failing would be, instead of ending the download.
    /// </summary>
    private static async Task<AuthenticationHeaderValue?> AskAsync(Func<Task<AuthenticationHeaderValue?>> ask, CancellationToken cancellationToken)
    {
        try
        {
            return await ask().ConfigureAwait(false);
        }
        catch (Registries.RegistryRequestException ex) when (ex.IsConnectionFailure && !cancellationToken.IsCancellationRequested)
        {
            throw new TransientFailure(ex.Message.TrimEnd('.'), inner: ex);
        }
    }

    private async Task<FetchInfo> FetchFileIntoAsync(Uri uri, DigestSink sink, long maximumSize, long? expectedSize, bool checkHtml,
        IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        // A bundle or an image layout on a removable drive may hold a FIFO or a device under a blob's name: opening one for
        // reading blocks until something writes to it, which nothing cancels. Only a regular file (or a link to one) is read.
        if (!IO.UnixFileSystem.IsWindows && IO.UnixFileSystem.Status(uri.LocalPath, followLinks: true) is IO.FileStatus kind && !kind.IsRegularFile && !kind.IsDirectory)
            throw new DownloadFailedException(uri, null, $"it is not a regular file (it is a {Install.InstalledTree.Describe(kind.Kind)}).", 1);
        FileStream source;
        try
        {
            source = FileHasher.OpenRead(uri.LocalPath);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new DownloadFailedException(uri, null, "the file does not exist.", 1, ex);
        }
        using (source)
        {
            long total = source.Length;
            if (total > maximumSize) throw new SizeLimitExceededException(uri, maximumSize, total);
            if (expectedSize.HasValue && total != expectedSize.Value) throw new SizeMismatchException(uri, expectedSize.Value, total);
            await _copy.CopyAsync(source, sink, total, maximumSize, uri, progress, null, cancellationToken, null, checkHtml).ConfigureAwait(false);
        }
        if (checkHtml && sink.HtmlEvidence() is string evidence) throw new UnexpectedHtmlException(uri, evidence);
        return new FetchInfo(uri, Array.Empty<Uri>(), 1);
    }

    /// <summary>
    /// Sends a GET and follows redirects by hand. Every hop is checked: no https→http, no scheme other than HTTP(S),
    /// a finite chain without loops, and the token only to the origin it was given for.
    /// </summary>
    private async Task<(HttpResponseMessage, Uri, List<Uri>)> SendAsync(Uri start, AuthenticationHeaderValue? authorization, long? rangeFrom, RangeConditionHeaderValue? validator,
        StallWatch watch, CancellationToken cancellationToken, byte[]? postJson = null)
    {
        var redirects = new List<Uri>();
        var seen = new HashSet<string>(StringComparer.Ordinal) { start.AbsoluteUri };
        Uri current = start;
        string? tokenOrigin = authorization != null ? Origin(start) : null;
        while (true)
        {
            using var request = new HttpRequestMessage(postJson == null ? HttpMethod.Get : HttpMethod.Post, current);
            if (postJson != null)
            {
                request.Content = new ByteArrayContent(postJson);
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            }
            request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("identity"));
            if (tokenOrigin != null && Origin(current) == tokenOrigin)
                request.Headers.Authorization = authorization;
            if (rangeFrom.HasValue)
            {
                request.Headers.Range = new RangeHeaderValue(rangeFrom.Value, null);
                request.Headers.IfRange = validator;
            }

            HttpResponseMessage response;
            watch.Touch();
            try
            {
                response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, watch.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (TransientFailure.IsNetworkFailure(ex, watch, cancellationToken))
            {
                // A 407 to the CONNECT of an https request surfaces as an exception; it is not transient: the same
                // credentials would be refused again.
                if (IsProxyAuthenticationFailure(ex)) throw new ProxyAuthenticationRequiredException(current, ExplicitProxyFor(current), ex);
                throw TransientFailure.From(ex, watch, 0);
            }

            int status = (int)response.StatusCode;
            if (status == 407)
            {
                response.Dispose();
                throw new ProxyAuthenticationRequiredException(current, ExplicitProxyFor(current));
            }
            if (status is not (301 or 302 or 303 or 307 or 308)) return (response, current, redirects);
            if (postJson != null)
            {
                // A query's answer comes from the service asked; a redirect would send it (or turn it into a GET) elsewhere.
                response.Dispose();
                throw new DownloadFailedException(current, status, $"HTTP {status}: a query (POST) is not followed to another address.", 1);
            }

            Uri? location = response.Headers.Location;
            response.Dispose();
            if (location == null) throw new DownloadFailedException(current, status, $"HTTP {status} redirect without a Location header.", 1);
            Uri next = location.IsAbsoluteUri ? location : new Uri(current, location);
            if (next.Scheme != Uri.UriSchemeHttps && next.Scheme != Uri.UriSchemeHttp) throw new InsecureRedirectException(current, next);
            // A downgrade is refused even with AllowInsecureTransport: it only loosens URIs the caller typed.
            if (current.Scheme == Uri.UriSchemeHttps && next.Scheme == Uri.UriSchemeHttp) throw new InsecureRedirectException(current, next);
            if (!seen.Add(next.AbsoluteUri)) throw new TooManyRedirectsException(start, _options.MaximumRedirects, loop: true);
            if (redirects.Count >= _options.MaximumRedirects) throw new TooManyRedirectsException(start, _options.MaximumRedirects, loop: false);
            if (tokenOrigin != null && Origin(next) != tokenOrigin)
            {
                // Once the chain leaves the token's host it never gets the token again (CVE-2018-1000007 class of leak).
                _log($"Redirected to another host ({next.Host}); the token is not sent there.");
                tokenOrigin = null;
            }
            _log($"Redirect {status} to {UriText.Redact(next)}.");
            redirects.Add(next);
            current = next;
        }
    }

    // Looked up on the named type (not on e.GetType()), so the trimmer of the native CLI sees it and keeps it (issue 23).
    private static readonly System.Reflection.PropertyInfo? HttpRequestStatusCode = typeof(HttpRequestException).GetProperty("StatusCode");

    /// <summary>
    /// A 407 from the proxy: .NET 5+ reports the status on HttpRequestException.StatusCode (read by reflection, as
    /// netstandard2.0 lacks it), .NET Framework on the WebException's response.
    /// </summary>
    private static bool IsProxyAuthenticationFailure(Exception ex)
    {
        for (Exception? e = ex; e != null; e = e.InnerException)
        {
            if (e is HttpRequestException && HttpRequestStatusCode?.GetValue(e) is HttpStatusCode status && status == HttpStatusCode.ProxyAuthenticationRequired) return true;
            if (e is WebException { Response: HttpWebResponse response } && response.StatusCode == HttpStatusCode.ProxyAuthenticationRequired) return true;
        }
        return false;
    }

    /// <summary>The explicit proxy a request to <paramref name="target"/> goes through, for messages; null for the system proxy.</summary>
    private Uri? ExplicitProxyFor(Uri target)
    {
        try
        {
            return _options.Proxy == null || _options.Proxy.IsBypassed(target) ? null : _options.Proxy.GetProxy(target);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return null;
        }
    }

    /// <summary>The wait a Retry-After header asks for (seconds or an HTTP date), at most <paramref name="maximum"/>; null without one.</summary>
    internal static TimeSpan? RetryAfter(HttpResponseMessage response, TimeSpan maximum)
    {
        RetryConditionHeaderValue? header = response.Headers.RetryAfter;
        TimeSpan? wait = header?.Delta ?? (header?.Date is DateTimeOffset date ? date - DateTimeOffset.UtcNow : null);
        if (wait == null) return null;
        if (wait.Value < TimeSpan.Zero) return TimeSpan.Zero;
        return wait.Value > maximum ? maximum : wait.Value;
    }

    /// <summary>Exponential backoff with "equal jitter": half the step is fixed, half random, so clients do not retry in lockstep.</summary>
    private TimeSpan Backoff(int retry)
    {
        double step = _options.InitialRetryDelay.TotalMilliseconds * Math.Pow(2, Math.Min(retry - 1, 30));
        step = Math.Min(step, _options.MaximumRetryDelay.TotalMilliseconds);
        double random;
        lock (_jitter) random = _jitter.NextDouble();
        return TimeSpan.FromMilliseconds(step / 2 + random * step / 2);
    }
}

/// <summary>Where a fetch ended: the URI after redirects, the redirects taken, and how many attempts it took.</summary>
internal sealed class FetchInfo
{
    public FetchInfo(Uri finalUri, IReadOnlyList<Uri> redirects, int attempts)
    {
        FinalUri = finalUri;
        Redirects = redirects;
        Attempts = attempts;
    }

    public Uri FinalUri { get; }
    public IReadOnlyList<Uri> Redirects { get; }
    public int Attempts { get; }
}
