using System.Net.Http;
using System.Net.Http.Headers;
using System.Text.Json;
using SecureInstall.Core.Downloads;

namespace SecureInstall.Core.Registries;

/// <summary>The auth part of <see cref="RegistryClient"/>: the challenge, Basic or the Bearer token flow, cached per scope.</summary>
public sealed partial class RegistryClient
{
    /// <summary>
    /// The Authorization header for <paramref name="actions"/> ("pull" or "pull,push") on the repository: null when the
    /// registry is anonymous, Basic, or a bearer token from the realm its challenge names. Cached per scope.
    /// </summary>
    /// <exception cref="RegistryAuthenticationException">credentials refused, or needed and none found.</exception>
    public async Task<AuthenticationHeaderValue?> AuthorizeAsync(string actions, CancellationToken cancellationToken)
    {
        string scope = ScopeOf(actions);
        await _authLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // A bearer token is asked for again once most of its lifetime has passed: registries refuse expired ones (HTTP 401),
            // and a fleet's install of many artifacts, or a push of large ones, outlasts a token of minutes.
            if (_authorizations.TryGetValue(scope, out (AuthenticationHeaderValue? Header, DateTimeOffset Until) known) && DateTimeOffset.UtcNow < known.Until) return known.Header;
            Reference.CheckTransport(_options.AllowInsecureTransport);
            if (Insecure) _log($"The registry {Reference.Host} is spoken to over plain HTTP (-AllowInsecureTransport): what it serves is still verified against the pins{(_credential != null ? ", but the credential from " + _credential.Source + " crosses the network unencrypted" : "")}.");
            var ping = new Uri(Base, "v2/");
            AuthenticationHeaderValue? header = null;
            DateTimeOffset until = DateTimeOffset.MaxValue;
            // A registry that cannot be reached at all is passed over at once (the next source is tried), not retried per artifact.
            using (HttpResponseMessage probe = await SendRetryingAsync(() => new HttpRequestMessage(HttpMethod.Get, ping), null, cancellationToken, retryConnectionFailures: false).ConfigureAwait(false))
            {
                if ((int)probe.StatusCode == 401)
                    (header, until) = await AnswerChallengeAsync(probe, scope, cancellationToken).ConfigureAwait(false);
                else if (!probe.IsSuccessStatusCode)
                    throw new RegistryRequestException(Describe(ping), (int)probe.StatusCode, $"GET /v2/ answered HTTP {(int)probe.StatusCode}; this does not look like an OCI registry.");
                else
                    _log($"The registry {Reference.Host} allows anonymous access.");
            }
            if (header != null && header.Scheme == "Basic")
            {
                // Basic is checked here, once: a refused password is a clear error before any blob moves.
                using HttpResponseMessage check = await SendRetryingAsync(() => new HttpRequestMessage(HttpMethod.Get, ping), header, cancellationToken).ConfigureAwait(false);
                if ((int)check.StatusCode == 401 || (int)check.StatusCode == 403)
                    throw new RegistryAuthenticationException(Reference.Host, $"it refused the user '{_credential!.UserName}' (from {_credential.Source}), HTTP {(int)check.StatusCode}. Check the user name and password.");
            }
            _authorizations[scope] = (header, until);
            return header;
        }
        finally
        {
            _authLock.Release();
        }
    }

    /// <summary>
    /// The header for <paramref name="actions"/> after the registry refused <paramref name="refused"/> (HTTP 401: a token expired
    /// early, or revoked): the cached one is dropped and asked for anew, unless another request has renewed it already.
    /// </summary>
    /// <exception cref="RegistryAuthenticationException">credentials refused, or needed and none found.</exception>
    public async Task<AuthenticationHeaderValue?> RenewAsync(string actions, AuthenticationHeaderValue refused, CancellationToken cancellationToken)
    {
        if (refused == null) throw new ArgumentNullException(nameof(refused));
        string scope = ScopeOf(actions);
        await _authLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_authorizations.TryGetValue(scope, out (AuthenticationHeaderValue? Header, DateTimeOffset Until) known) && refused.Equals(known.Header)) _authorizations.Remove(scope);
        }
        finally
        {
            _authLock.Release();
        }
        return await AuthorizeAsync(actions, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The token scope of <paramref name="actions"/> on the repository, the key of the cached header.</summary>
    private string ScopeOf(string actions) => $"repository:{Reference.Repository}:{actions}";

    /// <summary>The header the challenge asks for, and until when to reuse it (a bearer token: until 90% of its expires_in).</summary>
    private async Task<(AuthenticationHeaderValue Header, DateTimeOffset Until)> AnswerChallengeAsync(HttpResponseMessage challenge, string scope, CancellationToken cancellationToken)
    {
        AuthenticationHeaderValue? offered = challenge.Headers.WwwAuthenticate.FirstOrDefault(h => h.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase))
            ?? challenge.Headers.WwwAuthenticate.FirstOrDefault(h => h.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase));
        if (offered == null)
            throw new RegistryAuthenticationException(Reference.Host, "it asked for credentials (HTTP 401) without a Basic or Bearer challenge.");
        if (offered.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase))
        {
            if (_credential == null)
                throw new RegistryAuthenticationException(Reference.Host, $"it asks for a user name and password (Basic), and none was given: pass -RegistryCredential (--registry-user), or log in with docker/oras/skopeo login (read from {DockerConfig.DefaultPath()}).");
            if (_credential.IsIdentityToken)
                throw new RegistryAuthenticationException(Reference.Host, $"it asks for a user name and password (Basic), and the credential from {_credential.Source} is an identity token, which goes only to a token service.");
            _log($"The registry {Reference.Host} asks for Basic authentication; using {_credential}.");
            return (new AuthenticationHeaderValue("Basic", _credential.BasicParameter), DateTimeOffset.MaxValue);
        }
        Dictionary<string, string> parameters = ChallengeParameters(offered.Parameter ?? string.Empty);
        if (!parameters.TryGetValue("realm", out string? realmText) || !Uri.TryCreate(realmText, UriKind.Absolute, out Uri? realm)
            || !(realm.Scheme == Uri.UriSchemeHttps || (realm.Scheme == Uri.UriSchemeHttp && Insecure)))
            throw new RegistryAuthenticationException(Reference.Host, $"its Bearer challenge names no HTTPS token realm ('{realmText}'); credentials are not sent there.");
        var query = new StringBuilder();
        if (parameters.TryGetValue("service", out string? service)) query.Append("service=").Append(Uri.EscapeDataString(service));
        query.Append(query.Length > 0 ? "&" : "").Append("scope=").Append(Uri.EscapeDataString(scope));
        var tokenUri = new UriBuilder(realm) { Query = (realm.Query.Length > 1 ? realm.Query.Substring(1) + "&" : "") + query }.Uri;
        _log($"The registry {Reference.Host} asks for a bearer token; requesting one for {scope} from {UriText.Redact(new UriBuilder(tokenUri) { Query = string.Empty }.Uri)}{(_credential != null ? " as " + _credential : " anonymously")}.");
        AuthenticationHeaderValue? basic = _credential == null || _credential.IsIdentityToken ? null : new AuthenticationHeaderValue("Basic", _credential.BasicParameter);
        // An identity token is exchanged as docker does it: OAuth2 POST grant_type=refresh_token to the realm (never in a URL).
        Func<HttpRequestMessage> tokenRequest = _credential is { IsIdentityToken: true } identity
            ? () => new HttpRequestMessage(HttpMethod.Post, realm)
            {
                Content = new FormUrlEncodedContent(new[]
                {
                    new KeyValuePair<string, string>("grant_type", "refresh_token"),
                    new KeyValuePair<string, string>("refresh_token", identity.Password),
                    new KeyValuePair<string, string>("service", service ?? string.Empty),
                    new KeyValuePair<string, string>("scope", scope),
                    new KeyValuePair<string, string>("client_id", "secureinstall"),
                }),
            }
            : () => new HttpRequestMessage(HttpMethod.Get, tokenUri);
        using HttpResponseMessage answer = await SendRetryingAsync(tokenRequest, basic, cancellationToken, origin: DownloadTransport.Origin(tokenUri)).ConfigureAwait(false);
        int status = (int)answer.StatusCode;
        if (status == 401 || status == 403)
            throw new RegistryAuthenticationException(Reference.Host, $"its token service refused {(_credential != null ? "the user '" + _credential.UserName + "'" : "an anonymous request")} for {scope} (HTTP {status}).");
        if (!answer.IsSuccessStatusCode)
            throw new RegistryRequestException(UriText.Redact(new UriBuilder(tokenUri) { Query = string.Empty }.Uri), status, $"the token service answered HTTP {status}.");
        byte[] json = await ReadCappedAsync(answer, "token answer").ConfigureAwait(false);
        string? token = null;
        // The token spec: expires_in in seconds, 60 when absent.
        double lifetime = 60;
        try
        {
            using JsonDocument doc = JsonDocument.Parse(json);
            foreach (string name in new[] { "token", "access_token" })
                if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty(name, out JsonElement t) && t.ValueKind == JsonValueKind.String && t.GetString() is { Length: > 0 } v)
                {
                    token = v;
                    break;
                }
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("expires_in", out JsonElement e) && e.ValueKind == JsonValueKind.Number
                && e.TryGetDouble(out double seconds) && seconds > 0)
                lifetime = Math.Min(seconds, TimeSpan.FromDays(1).TotalSeconds);
        }
        catch (JsonException ex)
        {
            throw new RegistryRequestException(Reference.Host, status, "the token service's answer is not JSON.", ex);
        }
        if (token == null || token.Any(c => c < 0x21 || c > 0x7e))
            throw new RegistryRequestException(Reference.Host, status, "the token service's answer holds no usable token.");
        return (new AuthenticationHeaderValue("Bearer", token), DateTimeOffset.UtcNow.AddSeconds(lifetime * 0.9));
    }

    /// <summary>realm="https://auth.example/token",service="registry",scope="repository:x:pull" → dictionary.</summary>
    internal static Dictionary<string, string> ChallengeParameters(string text)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        int i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && (text[i] == ',' || text[i] == ' ')) i++;
            int eq = text.IndexOf('=', i);
            if (eq < 0) break;
            string key = text.Substring(i, eq - i).Trim();
            i = eq + 1;
            var value = new StringBuilder();
            if (i < text.Length && text[i] == '"')
            {
                i++;
                while (i < text.Length && text[i] != '"')
                {
                    if (text[i] == '\\' && i + 1 < text.Length) i++;
                    value.Append(text[i++]);
                }
                i++;
            }
            else
            {
                while (i < text.Length && text[i] != ',') value.Append(text[i++]);
            }
            if (key.Length > 0 && !result.ContainsKey(key)) result[key] = value.ToString().Trim();
        }
        return result;
    }
}
