using System.Net.Http;
using System.Net.Http.Headers;
using System.Text.Json;
using SecureInstall.Core.Downloads;

namespace SecureInstall.Core.Registries;

/// <summary>
/// Speaks the OCI distribution API to one repository: the auth challenge (anonymous, Basic, or the Bearer token flow),
/// blob HEAD, cross-repository mount, monolithic and chunked uploads, manifest PUT and GET. Transport policy (TLS, proxy,
/// insecure transport, certificate validation, retries) is the downloader's, from the same options.
/// </summary>
/// <remarks>
/// Credentials and tokens go to the registry's own origin only (and the credential to the token realm it names, over
/// HTTPS): an upload Location on another host gets no Authorization header. Neither is ever written to the log.
/// </remarks>
public sealed partial class RegistryClient : IDisposable
{
    /// <summary>Uploads larger than this go in chunks (POST, PATCH…, PUT ?digest=); smaller ones in one PUT.</summary>
    public const int DefaultChunkSize = 16 * 1024 * 1024;

    /// <summary>A manifest or token answer larger than this is refused: both are small JSON documents.</summary>
    public const int MaximumDocumentBytes = 4 * 1024 * 1024;

    private readonly VerifiedDownloaderOptions _options;
    private readonly HttpClient _client;
    private readonly RegistryCredential? _credential;
    private readonly Action<string> _log;
    private readonly Dictionary<string, (AuthenticationHeaderValue? Header, DateTimeOffset Until)> _authorizations = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _authLock = new(1, 1);

    public RegistryClient(OciReference reference, VerifiedDownloaderOptions? options = null, RegistryCredential? credential = null, HttpMessageHandler? handler = null)
    {
        Reference = reference ?? throw new ArgumentNullException(nameof(reference));
        _options = options ?? new VerifiedDownloaderOptions();
        _credential = credential;
        _log = line =>
        {
            if (_options.Log is Action<string> log) UriText.RedactingLog(log)(line);
        };
        _client = new HttpClient(handler ?? DownloadTransport.CreateHandler(_options), disposeHandler: true) { Timeout = TimeSpan.FromMinutes(10) };
        _client.DefaultRequestHeaders.UserAgent.ParseAdd(_options.UserAgent);
    }

    public OciReference Reference { get; }

    /// <summary>Bytes of blob content sent in uploads by this client (the figure a second push proves to be 0).</summary>
    public long BytesUploaded => Interlocked.Read(ref _bytesUploaded);

    private long _bytesUploaded;

    public int ChunkSize { get; set; } = DefaultChunkSize;

    /// <summary>Plain HTTP to this registry: marked so (<see cref="OciReference.PlainHttp"/>) and allowed by the caller.</summary>
    private bool Insecure => Reference.PlainHttp && _options.AllowInsecureTransport;

    private Uri Base => Reference.BaseUri();

    public void Dispose()
    {
        _client.Dispose();
        _authLock.Dispose();
    }

    /// <summary>Whether the repository holds the blob (HEAD; a redirect to storage counts as present).</summary>
    public async Task<bool> BlobExistsAsync(string digest, CancellationToken cancellationToken)
    {
        Uri uri = Reference.BlobUri(digest);
        using HttpResponseMessage response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Head, uri), "pull,push", cancellationToken).ConfigureAwait(false);
        int status = (int)response.StatusCode;
        if (status == 404) return false;
        if (status >= 200 && status < 400) return true;
        throw Failed(uri, response, "HEAD");
    }

    /// <summary>
    /// Asks the registry to mount <paramref name="digest"/> from <paramref name="fromRepository"/> (no bytes move). True when
    /// mounted; false when the registry declined (it then opened an upload session, which is left to expire).
    /// </summary>
    public async Task<bool> TryMountAsync(string digest, string fromRepository, CancellationToken cancellationToken)
    {
        Uri uri = new(Reference.UploadUri(), $"?mount={Uri.EscapeDataString(digest)}&from={Uri.EscapeDataString(fromRepository)}");
        using HttpResponseMessage response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Post, uri) { Content = new ByteArrayContent(Array.Empty<byte>()) }, "pull,push", cancellationToken).ConfigureAwait(false);
        if ((int)response.StatusCode == 201) return true;
        if ((int)response.StatusCode == 202) return false;
        throw Failed(uri, response, "POST (mount)");
    }

    /// <summary>
    /// Uploads <paramref name="path"/> as the blob <paramref name="digest"/> of <paramref name="size"/> bytes: one PUT up to
    /// <see cref="ChunkSize"/>, else PATCH chunks with Content-Range and a closing PUT ?digest=. The registry checks the digest.
    /// </summary>
    public async Task UploadAsync(string path, string digest, long size, CancellationToken cancellationToken)
    {
        Uri start = Reference.UploadUri();
        Uri location = await OpenSessionAsync(start, cancellationToken).ConfigureAwait(false);
        if (size <= ChunkSize)
        {
            using HttpResponseMessage put = await SendAsync(() =>
            {
                var request = new HttpRequestMessage(HttpMethod.Put, WithDigest(location, digest)) { Content = new StreamContent(Checksums.FileHasher.OpenRead(path), 1 << 16) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                request.Content.Headers.ContentLength = size;
                return request;
            }, "pull,push", cancellationToken).ConfigureAwait(false);
            if ((int)put.StatusCode != 201) throw Failed(location, put, "PUT (upload)");
            Interlocked.Add(ref _bytesUploaded, size);
            return;
        }

        byte[] buffer = new byte[ChunkSize];
        using (FileStream file = Checksums.FileHasher.OpenRead(path))
        {
            long offset = 0;
            while (offset < size)
            {
                int count = 0;
                while (count < buffer.Length)
                {
                    int read = await file.ReadAsync(buffer, count, buffer.Length - count, cancellationToken).ConfigureAwait(false);
                    if (read == 0) break;
                    count += read;
                }
                if (count == 0) throw new RegistryRequestException(path, null, $"the file ended at {offset:N0} of {size:N0} bytes while it was uploaded.");
                long from = offset;
                Uri target = location;
                using HttpResponseMessage patch = await SendAsync(() =>
                {
                    var request = new HttpRequestMessage(new HttpMethod("PATCH"), target) { Content = new ByteArrayContent(buffer, 0, count) };
                    request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                    request.Content.Headers.TryAddWithoutValidation("Content-Range", $"{from.ToString(CultureInfo.InvariantCulture)}-{(from + count - 1).ToString(CultureInfo.InvariantCulture)}");
                    return request;
                }, "pull,push", cancellationToken).ConfigureAwait(false);
                if ((int)patch.StatusCode != 202) throw Failed(location, patch, "PATCH (chunk)");
                location = NextLocation(location, patch);
                offset += count;
                Interlocked.Add(ref _bytesUploaded, count);
            }
        }
        using HttpResponseMessage close = await SendAsync(() =>
            new HttpRequestMessage(HttpMethod.Put, WithDigest(location, digest)) { Content = new ByteArrayContent(Array.Empty<byte>()) }, "pull,push", cancellationToken).ConfigureAwait(false);
        if ((int)close.StatusCode != 201) throw Failed(location, close, "PUT (close upload)");
    }

    /// <summary>Uploads a small blob held in memory (the empty config) in one request.</summary>
    public async Task UploadAsync(byte[] content, string digest, CancellationToken cancellationToken)
    {
        Uri location = await OpenSessionAsync(Reference.UploadUri(), cancellationToken).ConfigureAwait(false);
        using HttpResponseMessage put = await SendAsync(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Put, WithDigest(location, digest)) { Content = new ByteArrayContent(content) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            return request;
        }, "pull,push", cancellationToken).ConfigureAwait(false);
        if ((int)put.StatusCode != 201) throw Failed(location, put, "PUT (upload)");
        Interlocked.Add(ref _bytesUploaded, content.Length);
    }

    private async Task<Uri> OpenSessionAsync(Uri start, CancellationToken cancellationToken)
    {
        using HttpResponseMessage post = await SendAsync(() => new HttpRequestMessage(HttpMethod.Post, start) { Content = new ByteArrayContent(Array.Empty<byte>()) }, "pull,push", cancellationToken).ConfigureAwait(false);
        if ((int)post.StatusCode != 202) throw Failed(start, post, "POST (start upload)");
        return NextLocation(start, post);
    }

    /// <summary>Puts the manifest under <paramref name="reference"/> (a tag); returns the digest the registry names it by.</summary>
    public async Task<string> PutManifestAsync(byte[] manifest, string mediaType, string reference, CancellationToken cancellationToken)
    {
        Uri uri = Reference.ManifestUri(reference);
        using HttpResponseMessage put = await SendAsync(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Put, uri) { Content = new ByteArrayContent(manifest) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
            return request;
        }, "pull,push", cancellationToken).ConfigureAwait(false);
        if ((int)put.StatusCode != 201) throw Failed(uri, put, "PUT (manifest)");
        return put.Headers.TryGetValues("Docker-Content-Digest", out IEnumerable<string>? values) ? values.First() : OciArtifact.Digest(manifest);
    }

    /// <summary>The manifest stored under <paramref name="reference"/> (tag or digest), capped; a digest reference is checked against the bytes.</summary>
    /// <exception cref="RegistryManifestUnknownException">the registry holds none (404).</exception>
    public async Task<byte[]> GetManifestAsync(string reference, CancellationToken cancellationToken)
    {
        Uri uri = Reference.ManifestUri(reference);
        using HttpResponseMessage response = await SendAsync(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, uri);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(OciArtifact.ManifestMediaType));
            return request;
        }, "pull", cancellationToken).ConfigureAwait(false);
        if ((int)response.StatusCode == 404) throw new RegistryManifestUnknownException($"{OciReference.Scheme}://{Reference.Host}/{Reference.Repository}:{reference}");
        if (!response.IsSuccessStatusCode) throw Failed(uri, response, "GET (manifest)");
        byte[] bytes = await ReadCappedAsync(response, "manifest").ConfigureAwait(false);
        if (reference.StartsWith("sha256:", StringComparison.Ordinal) && OciArtifact.Digest(bytes) != reference)
            throw new Checksums.ChecksumMismatchException(UriText.Redact(uri), Checksums.ChecksumAlgorithm.SHA256, reference.Substring(7), OciArtifact.Digest(bytes).Substring(7), "the manifest digest asked for");
        return bytes;
    }

    /// <summary>Sends with the scope's authorization, retrying 429/5xx and network failures as the downloader does.</summary>
    private async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> make, string actions, CancellationToken cancellationToken)
    {
        AuthenticationHeaderValue? authorization = await AuthorizeAsync(actions, cancellationToken).ConfigureAwait(false);
        HttpResponseMessage response = await SendRetryingAsync(make, authorization, cancellationToken).ConfigureAwait(false);
        int status = (int)response.StatusCode;
        if (status == 401 || status == 403)
        {
            response.Dispose();
            throw new RegistryAuthenticationException(Reference.Host, $"HTTP {status} for {actions} on {Reference.Repository}{(_credential == null ? " with no credentials" : " as " + _credential)}.");
        }
        return response;
    }

    /// <summary>
    /// <see cref="SendOnceAsync"/>, retried after 429/502/503/504 (Retry-After honoured and capped by the downloader's rule)
    /// and, unless <paramref name="retryConnectionFailures"/> is false, after a failed connection: every request to the
    /// registry and its token service, the /v2/ check included.
    /// </summary>
    private async Task<HttpResponseMessage> SendRetryingAsync(Func<HttpRequestMessage> make, AuthenticationHeaderValue? authorization, CancellationToken cancellationToken,
        string? origin = null, bool retryConnectionFailures = true)
    {
        for (int attempt = 0; ; attempt++)
        {
            HttpResponseMessage response;
            try
            {
                response = await SendOnceAsync(make, authorization, cancellationToken, origin).ConfigureAwait(false);
            }
            catch (RegistryRequestException ex) when (retryConnectionFailures && ex.IsConnectionFailure && attempt < _options.MaximumRetries
                                                      && !cancellationToken.IsCancellationRequested)
            {
                // The connection failed (a registry restarting, a reset): the request is made afresh from its factory.
                _log($"The registry request failed ({ex.Message}); retrying.");
                await _options.Delay(_options.InitialRetryDelay, cancellationToken).ConfigureAwait(false);
                continue;
            }
            int status = (int)response.StatusCode;
            if ((status == 429 || status == 502 || status == 503 || status == 504) && attempt < _options.MaximumRetries)
            {
                TimeSpan wait = DownloadTransport.RetryAfter(response, _options.MaximumRetryAfter)
                    ?? TimeSpan.FromMilliseconds(Math.Min(_options.InitialRetryDelay.TotalMilliseconds * Math.Pow(2, attempt), _options.MaximumRetryDelay.TotalMilliseconds));
                response.Dispose();
                _log($"The registry answered HTTP {status}; retrying in {wait.TotalSeconds:0.##} s.");
                await _options.Delay(wait, cancellationToken).ConfigureAwait(false);
                continue;
            }
            return response;
        }
    }

    /// <summary>One request; the Authorization header only to the registry's origin (or the given one).</summary>
    private async Task<HttpResponseMessage> SendOnceAsync(Func<HttpRequestMessage> make, AuthenticationHeaderValue? authorization, CancellationToken cancellationToken, string? origin = null)
    {
        using HttpRequestMessage request = make();
        DownloadPreflight.CheckScheme(request.RequestUri!, Insecure);
        if (authorization != null && DownloadTransport.Origin(request.RequestUri!) == (origin ?? DownloadTransport.Origin(Base)))
            request.Headers.Authorization = authorization;
        try
        {
            return await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex) when (!cancellationToken.IsCancellationRequested)
        {
            // A TLS handshake that fails is often a registry without TLS (a build host's loopback registry): say which switch speaks to it.
            string hint = ex.InnerException is System.Security.Authentication.AuthenticationException && !Reference.PlainHttp
                ? $" ({UriText.RedactText(ex.InnerException.Message)}) If {Reference.RepositoryText} speaks plain HTTP, give -AllowInsecureTransport (--allow-insecure-transport)."
                : string.Empty;
            throw new RegistryRequestException(Describe(request.RequestUri!), null, UriText.RedactText(ex.Message) + hint, ex);
        }
    }

    /// <summary>An upload Location (relative or absolute), held to the registry's scheme: never https → http.</summary>
    private Uri NextLocation(Uri current, HttpResponseMessage response)
    {
        Uri? location = response.Headers.Location;
        if (location == null) throw new RegistryRequestException(Describe(current), (int)response.StatusCode, "the registry answered without a Location for the upload.");
        Uri next = location.IsAbsoluteUri ? location : new Uri(current, location);
        if (next.Scheme != Uri.UriSchemeHttps && !(next.Scheme == Uri.UriSchemeHttp && Base.Scheme == Uri.UriSchemeHttp)) throw new InsecureRedirectException(current, next);
        return next;
    }

    private static Uri WithDigest(Uri location, string digest)
    {
        var builder = new UriBuilder(location);
        string query = builder.Query.Length > 1 ? builder.Query.Substring(1) + "&" : string.Empty;
        builder.Query = query + "digest=" + Uri.EscapeDataString(digest);
        return builder.Uri;
    }

    private static async Task<byte[]> ReadCappedAsync(HttpResponseMessage response, string what)
    {
        if (response.Content.Headers.ContentLength > MaximumDocumentBytes)
            throw new RegistryRequestException(what, (int)response.StatusCode, $"the {what} is larger than {MaximumDocumentBytes:N0} bytes.");
        using Stream body = await response.Content.ReadAsStreamAsync().ConfigureAwait(false);
        using var buffer = new MemoryStream();
        byte[] chunk = new byte[81920];
        int read;
        while ((read = await body.ReadAsync(chunk, 0, chunk.Length).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > MaximumDocumentBytes) throw new RegistryRequestException(what, (int)response.StatusCode, $"the {what} is larger than {MaximumDocumentBytes:N0} bytes.");
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    private static RegistryRequestException Failed(Uri uri, HttpResponseMessage response, string what)
    {
        int status = (int)response.StatusCode;
        string? code = null;
        try
        {
            // The distribution spec's error body: {"errors":[{"code":"BLOB_UNKNOWN","message":…}]}; read only its code, capped.
            if (response.Content.Headers.ContentLength is long n && n < 65536)
            {
                byte[] body = response.Content.ReadAsByteArrayAsync().GetAwaiter().GetResult();
                using JsonDocument doc = JsonDocument.Parse(body);
                code = doc.RootElement.GetProperty("errors")[0].GetProperty("code").GetString();
            }
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException or HttpRequestException)
        {
        }
        return new RegistryRequestException($"{what} {Describe(uri)}", status, $"HTTP {status}{(code != null ? " " + code : "")}.");
    }

    private static string Describe(Uri uri) => UriText.Redact(new UriBuilder(uri) { Query = string.Empty }.Uri);
}
