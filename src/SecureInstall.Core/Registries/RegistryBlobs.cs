using SecureInstall.Core.Downloads;

namespace SecureInstall.Core.Registries;

/// <summary>
/// The registry side of a pinned download: which blob URIs to try for a SHA-256 pin, and the Authorization header each
/// registry wants for a pull (asked once per registry, then reused). The bytes go through the downloader's own transport
/// and verification; the header goes to the registry's origin only, never after its redirect to a storage host.
/// </summary>
internal sealed class RegistryBlobs : IDisposable
{
    private readonly VerifiedDownloaderOptions _options;
    private readonly Dictionary<string, RegistryClient> _clients = new(StringComparer.Ordinal);

    public RegistryBlobs(VerifiedDownloaderOptions options) => _options = options;

    /// <summary>The registry blob URIs for <paramref name="digest"/> ("sha256:&lt;hex&gt;" or "sha512:&lt;hex&gt;"), each with the source it belongs to.</summary>
    /// <exception cref="InsecureTransportException">a plain-HTTP registry without AllowInsecureTransport.</exception>
    public IReadOnlyList<(Uri Uri, RegistrySource Source)> UrisFor(string digest, IReadOnlyList<RegistrySource> sources)
    {
        var result = new List<(Uri, RegistrySource)>();
        foreach (RegistrySource source in sources)
        {
            source.Reference?.CheckTransport(_options.AllowInsecureTransport, source.WrittenIn);
            Uri uri = source.BlobUri(digest);
            if (!result.Exists(r => r.Item1 == uri)) result.Add((uri, source));
        }
        return result;
    }

    /// <summary>
    /// The pull authorization of <paramref name="source"/>'s registry (null for an image layout folder): each attempt asks its
    /// client, which renews a bearer token when most of its lifetime has passed, and a 401 asks the client for a new one.
    /// </summary>
    public RequestAuthorization? AuthorizationFor(RegistrySource source)
    {
        if (source.Reference == null) return null;
        RegistryClient client;
        lock (_clients)
        {
            string key = source.Reference.Host + "/" + source.Reference.Repository;
            if (!_clients.TryGetValue(key, out client!))
            {
                client = new RegistryClient(source.Reference, _options, CredentialFor(source.Reference.Host, _options.DockerConfigPath));
                _clients[key] = client;
            }
        }
        return new RequestAuthorization(cancellationToken => client.AuthorizeAsync("pull", cancellationToken), (refused, cancellationToken) => client.RenewAsync("pull", refused, cancellationToken));
    }

    /// <summary>
    /// The credential a registry gets: the one the caller gave (-RegistryCredential, --registry-user) only for the registries
    /// it was given with (-Registry, --registry); any other, such as a mirrors.json entry, gets only what the Docker config
    /// holds for its own host. A password is never sent to a registry it was not given for.
    /// </summary>
    internal RegistryCredential? CredentialFor(string host, string? dockerConfigPath = null)
    {
        bool givenForHost = _options.RegistryCredential != null
            && _options.Registries.Any(r => r.Reference != null && string.Equals(r.Reference.Host, host, StringComparison.OrdinalIgnoreCase));
        return givenForHost ? _options.RegistryCredential : DockerConfig.Find(host, dockerConfigPath, _options.Log);
    }

    public void Dispose()
    {
        lock (_clients)
        {
            foreach (RegistryClient client in _clients.Values) client.Dispose();
            _clients.Clear();
        }
    }
}
