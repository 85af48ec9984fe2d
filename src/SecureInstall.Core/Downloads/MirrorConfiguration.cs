using System.Text.Json;
using SecureInstall.Core.Registries;

namespace SecureInstall.Core.Downloads;

/// <summary>One rewrite: URIs starting with <see cref="Prefix"/> are also fetched from <see cref="Mirror"/> + the rest.</summary>
public sealed class MirrorRule
{
    public MirrorRule(Uri prefix, Uri mirror)
    {
        Prefix = prefix;
        Mirror = mirror;
    }

    public Uri Prefix { get; }
    public Uri Mirror { get; }
}

/// <summary>
/// Mirrors from configuration (an internal artifact proxy, an offline share): <c>mirrors.json</c> with
/// <c>{"mirrors": [{"prefix": "https://github.com/", "mirror": "https://artifacts.corp.example/github/"}, {"registry": "oci://registry.corp.example/tools"}]}</c>.
/// A matching mirror is tried before the original URI. Because the digest is pinned any mirror is safe, so mirrors
/// are used only for downloads that have an expected digest.
/// </summary>
public sealed class MirrorConfiguration
{
    /// <summary>A path to the mirrors file; overrides the per-user default.</summary>
    public const string FileVariable = "SECUREINSTALL_MIRRORS";

    public static readonly MirrorConfiguration Empty = new(Array.Empty<MirrorRule>(), null);

    private MirrorConfiguration(IReadOnlyList<MirrorRule> rules, string? source, IReadOnlyList<RegistrySource>? registries = null)
    {
        Rules = rules;
        Source = source;
        Registries = registries ?? Array.Empty<RegistrySource>();
    }

    public IReadOnlyList<MirrorRule> Rules { get; }

    /// <summary><c>{"registry": "oci://HOST/REPO"}</c> entries: every SHA-256-pinned artifact is tried there by digest first.</summary>
    public IReadOnlyList<RegistrySource> Registries { get; }

    /// <summary>The file the rules came from, for verbose output.</summary>
    public string? Source { get; }

    /// <summary>$env:SECUREINSTALL_MIRRORS, else %APPDATA%\SecureInstall\mirrors.json or $XDG_CONFIG_HOME/secureinstall/mirrors.json (~/.config).</summary>
    public static string DefaultPath()
    {
        string? configured = Environment.GetEnvironmentVariable(FileVariable);
        if (!string.IsNullOrWhiteSpace(configured)) return Path.GetFullPath(configured);
        if (Path.DirectorySeparatorChar == '\\')
            return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData), "SecureInstall", "mirrors.json");
        string? xdg = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME");
        string root = !string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg) ? xdg! : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config");
        return Path.Combine(root, "secureinstall", "mirrors.json");
    }

    /// <summary>The rules in <paramref name="path"/>; no file means no mirrors, a malformed one is an error naming it.</summary>
    public static MirrorConfiguration Load(string path)
    {
        if (!File.Exists(path)) return Empty;
        var rules = new List<MirrorRule>();
        var registries = new List<RegistrySource>();
        try
        {
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { MaxDepth = 8, CommentHandling = JsonCommentHandling.Skip });
            foreach (JsonElement rule in doc.RootElement.GetProperty("mirrors").EnumerateArray())
            {
                if (rule.TryGetProperty("registry", out JsonElement registry))
                {
                    try
                    {
                        // {"registry": "oci://HOST:PORT/REPO", "plainHttp": true}: plain HTTP, used only with -AllowInsecureTransport.
                        bool plainHttp = rule.TryGetProperty("plainHttp", out JsonElement plain) && plain.GetBoolean();
                        registries.Add(RegistrySource.Parse(registry.GetString() ?? string.Empty, Path.GetDirectoryName(Path.GetFullPath(path)), plainHttp, $"\"plainHttp\": true in {path}"));
                    }
                    catch (RegistryReferenceException ex)
                    {
                        throw new MirrorConfigurationException(path, ex.Message, ex);
                    }
                    continue;
                }
                Uri prefix = Absolute(rule.GetProperty("prefix").GetString(), path, "prefix");
                Uri mirror = Absolute(rule.GetProperty("mirror").GetString(), path, "mirror");
                if (mirror.Scheme != Uri.UriSchemeHttps && !mirror.IsFile)
                    throw new MirrorConfigurationException(path, $"mirror {mirror} must be https or file: a plain-http mirror is refused even though digests are pinned.");
                rules.Add(new MirrorRule(prefix, mirror));
            }
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new MirrorConfigurationException(path, ex.Message, ex);
        }
        return new MirrorConfiguration(rules, path, registries);
    }

    /// <summary>The URIs to try: each configured mirror of a URI first, then the URI itself; no duplicates.</summary>
    public IReadOnlyList<Uri> Expand(IReadOnlyList<Uri> uris)
    {
        if (Rules.Count == 0) return uris;
        var result = new List<Uri>();
        foreach (Uri uri in uris)
        {
            string text = uri.AbsoluteUri;
            foreach (MirrorRule rule in Rules.Where(r => text.StartsWith(r.Prefix.AbsoluteUri, StringComparison.Ordinal)))
            {
                var mirrored = new Uri(rule.Mirror.AbsoluteUri + text.Substring(rule.Prefix.AbsoluteUri.Length));
                if (!result.Contains(mirrored)) result.Add(mirrored);
            }
            if (!result.Contains(uri)) result.Add(uri);
        }
        return result;
    }

    private static Uri Absolute(string? value, string path, string field) =>
        Uri.TryCreate(value, UriKind.Absolute, out Uri? uri) ? uri : throw new MirrorConfigurationException(path, $"'{value}' ({field}) is not an absolute URI.");
}

public sealed class MirrorConfigurationException : SecureInstallException
{
    public MirrorConfigurationException(string path, string reason, Exception? inner = null)
        : base($"The mirror configuration {path} cannot be used: {reason}", ErrorIds.MirrorConfigurationInvalid, FailureKind.InvalidData, path, inner)
    {
    }
}
