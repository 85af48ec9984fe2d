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

    public string UserName { get; }

    public string Password { get; }

    /// <summary>Where it came from, for verbose output ("-RegistryCredential", "/home/u/.docker/config.json").</summary>
    public string Source { get; private set; }

    internal string BasicParameter => Convert.ToBase64String(Encoding.UTF8.GetBytes(UserName + ":" + Password));

    public override string ToString() => $"{UserName} (from {Source})";
}

/// <summary>
/// Credentials as <c>docker login</c>, <c>oras login</c> and <c>skopeo login</c> store them: <c>$DOCKER_CONFIG/config.json</c>
/// (else <c>~/.docker/config.json</c>), <c>auths</c> keyed by registry host. Credential helpers (credsStore, credHelpers)
/// are programs of the user's; they are not run.
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
    public static RegistryCredential? Find(string host, string? path = null)
    {
        path ??= DefaultPath();
        if (!File.Exists(path)) return null;
        try
        {
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { MaxDepth = 16 });
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("auths", out JsonElement auths) || auths.ValueKind != JsonValueKind.Object)
                return null;
            foreach (JsonProperty entry in auths.EnumerateObject())
            {
                if (!string.Equals(HostOf(entry.Name), host, StringComparison.OrdinalIgnoreCase) || entry.Value.ValueKind != JsonValueKind.Object) continue;
                RegistryCredential? found = FromEntry(entry.Value, path, entry.Name);
                if (found != null) return found;
            }
            return null;
        }
        catch (JsonException ex)
        {
            throw new RegistryCredentialException(path, "it is not valid JSON (" + ex.Message + ")", ex);
        }
    }

    private static RegistryCredential? FromEntry(JsonElement entry, string path, string key)
    {
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
    public static RegistryCredential? Resolve(string host, RegistryCredential? given) => given ?? Find(host);

}
