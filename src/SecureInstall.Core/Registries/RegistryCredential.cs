using System.Text.Json;

namespace SecureInstall.Core.Registries;

/// <summary>A user name and password (or personal access token) for a registry; never logged, never in a message.</summary>
public sealed class RegistryCredential
{
    public RegistryCredential(string userName, string password, string source = "the caller")
    {
        Source = source ?? "the caller";
        UserName = userName ?? throw new ArgumentNullException(nameof(userName));
        Password = password ?? throw new ArgumentNullException(nameof(password));
    }

    /// <summary>
    /// An identity (refresh) token, as a credential helper returns it for the user <c>&lt;token&gt;</c>: it goes only to the
    /// registry's token service (OAuth2 grant_type=refresh_token, as docker sends it), never as Basic auth.
    /// </summary>
    public static RegistryCredential FromIdentityToken(string token, string source) =>
        new(DockerCredentialHelper.IdentityTokenUser, token, source) { IsIdentityToken = true };

    public bool IsIdentityToken { get; private set; }

    public string UserName { get; }

    public string Password { get; }

    /// <summary>Where it came from, for verbose output ("-RegistryCredential", "/home/u/.docker/config.json").</summary>
    public string Source { get; private set; }

    internal string BasicParameter => Convert.ToBase64String(Encoding.UTF8.GetBytes(UserName + ":" + Password));

    public override string ToString() => $"{UserName} (from {Source})";
}

/// <summary>
/// Credentials as <c>docker login</c>, <c>oras login</c> and <c>skopeo login</c> store them: <c>$DOCKER_CONFIG/config.json</c>
/// (else <c>~/.docker/config.json</c>). Docker's precedence: the host's <c>credHelpers</c> entry, else <c>credsStore</c> (each a
/// <see cref="DockerCredentialHelper"/> run for the host), else <c>auths</c> keyed by registry host. A helper that holds
/// nothing for the host means anonymous, as in docker: <c>auths</c> is not read then.
/// </summary>
public static class DockerConfig
{
    public const string DirectoryVariable = "DOCKER_CONFIG";

    public static string DefaultPath()
    {
        string? configured = Environment.GetEnvironmentVariable(DirectoryVariable);
        string directory = !string.IsNullOrWhiteSpace(configured)
            ? configured!
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".docker");
        return Path.Combine(directory, "config.json");
    }

    /// <summary>The credential stored for <paramref name="host"/> (host or host:port) in <paramref name="path"/>, or null.</summary>
    /// <exception cref="RegistryCredentialException">the file is not JSON, or the entry for the host is malformed.</exception>
    /// <exception cref="RegistryCredentialHelperException">the credential helper named for the host is missing or fails.</exception>
    public static RegistryCredential? Find(string host, string? path = null, Action<string>? log = null)
    {
        path ??= DefaultPath();
        if (!File.Exists(path)) return null;
        DockerCredentialHelper? helper;
        try
        {
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { MaxDepth = 16 });
            helper = HelperFor(doc.RootElement, host, path);
            if (helper == null)
                return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("auths", out JsonElement auths) && auths.ValueKind == JsonValueKind.Object
                    ? FromAuths(auths, host, path)
                    : null;
        }
        catch (JsonException ex)
        {
            throw new RegistryCredentialException(path, "it is not valid JSON (" + ex.Message + ")", ex);
        }
        log?.Invoke($"Asking the Docker credential helper {helper.Program} (from {path}) for {host}'s credentials.");
        RegistryCredential? found = helper.Get(host);
        if (found == null) log?.Invoke($"{helper.Program} holds no credentials for {host}; the registry is asked anonymously, as docker does.");
        return found;
    }

    /// <summary>credHelpers[host], else credsStore; null when neither names a helper.</summary>
    private static DockerCredentialHelper? HelperFor(JsonElement root, string host, string path)
    {
        if (root.ValueKind != JsonValueKind.Object) return null;
        if (root.TryGetProperty("credHelpers", out JsonElement helpers) && helpers.ValueKind == JsonValueKind.Object)
            foreach (JsonProperty entry in helpers.EnumerateObject())
                if (string.Equals(HostOf(entry.Name), host, StringComparison.OrdinalIgnoreCase) && entry.Value.ValueKind == JsonValueKind.String && entry.Value.GetString() is { Length: > 0 } name)
                    return new DockerCredentialHelper(name, path);
        if (root.TryGetProperty("credsStore", out JsonElement store) && store.ValueKind == JsonValueKind.String && store.GetString() is { Length: > 0 } storeName)
            return new DockerCredentialHelper(storeName, path);
        return null;
    }

    private static RegistryCredential? FromAuths(JsonElement auths, string host, string path)
    {
        foreach (JsonProperty entry in auths.EnumerateObject())
        {
            if (!string.Equals(HostOf(entry.Name), host, StringComparison.OrdinalIgnoreCase) || entry.Value.ValueKind != JsonValueKind.Object) continue;
            RegistryCredential? found = FromEntry(entry.Value, path, entry.Name);
            if (found != null) return found;
        }
        return null;
    }

    private static RegistryCredential? FromEntry(JsonElement entry, string path, string key)
    {
        // docker login to a registry with an OAuth2 token service (ACR, for one) stores "identitytoken" beside an auth whose
        // password is empty: the identity token is what authenticates, exchanged at the token service, never sent as Basic.
        if (entry.TryGetProperty("identitytoken", out JsonElement identity) && identity.ValueKind == JsonValueKind.String && identity.GetString() is { Length: > 0 } identityToken)
            return RegistryCredential.FromIdentityToken(identityToken, path);
        if (entry.TryGetProperty("auth", out JsonElement auth) && auth.ValueKind == JsonValueKind.String && auth.GetString() is { Length: > 0 } encoded)
        {
            string decoded;
            try
            {
                decoded = Encoding.UTF8.GetString(Convert.FromBase64String(encoded));
            }
            catch (FormatException ex)
            {
                throw new RegistryCredentialException(path, $"the auth of '{key}' is not base64", ex);
            }
            int colon = decoded.IndexOf(':');
            if (colon <= 0) throw new RegistryCredentialException(path, $"the auth of '{key}' is not user:password");
            return new RegistryCredential(decoded.Substring(0, colon), decoded.Substring(colon + 1), path) ;
        }
        if (entry.TryGetProperty("username", out JsonElement user) && entry.TryGetProperty("password", out JsonElement password)
            && user.ValueKind == JsonValueKind.String && password.ValueKind == JsonValueKind.String)
            return new RegistryCredential(user.GetString()!, password.GetString()!, path) ;
        return null;
    }

    /// <summary>"https://index.docker.io/v1/" → "index.docker.io"; "host:5000" stays.</summary>
    private static string HostOf(string key)
    {
        string text = key.Trim();
        int scheme = text.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0) text = text.Substring(scheme + 3);
        int slash = text.IndexOf('/');
        return (slash >= 0 ? text.Substring(0, slash) : text).ToLowerInvariant();
    }

    /// <summary>The credential to use for <paramref name="host"/>: the one given, else the Docker config's, else none.</summary>
    public static RegistryCredential? Resolve(string host, RegistryCredential? given, Action<string>? log = null) => given ?? Find(host, null, log);

}
