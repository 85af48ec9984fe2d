using System.Text.RegularExpressions;
using SecureInstall.Core.Downloads;

namespace SecureInstall.Core.Registries;

/// <summary>
/// <c>oci://HOST[:PORT]/REPO[:TAG]</c>: a repository in a registry speaking the OCI distribution API, and the tag a push
/// writes. The repository and tag follow the grammar of the distribution spec, so nothing else reaches a request path.
/// </summary>
public sealed class OciReference
{
    public const string Scheme = "oci";
    public const string DefaultTag = "latest";

    // The distribution spec's <name> and <reference> grammars (spec.md, "Pulling manifests").
    private static readonly Regex RepositoryPattern = new("^[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*)*$", RegexOptions.CultureInvariant);
    private static readonly Regex TagPattern = new("^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$", RegexOptions.CultureInvariant);
    private static readonly Regex HostPattern = new("^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?$|^\\[[0-9A-Fa-f:.]+\\](:[0-9]{1,5})?$", RegexOptions.CultureInvariant);

    private OciReference(string host, string repository, string tag, bool tagGiven, bool plainHttp)
    {
        Host = host;
        Repository = repository;
        Tag = tag;
        TagGiven = tagGiven;
        PlainHttp = plainHttp;
    }

    /// <summary>host or host:port, as written (lower case).</summary>
    public string Host { get; }

    public string Repository { get; }

    /// <summary>The tag; <see cref="DefaultTag"/> when none was written.</summary>
    public string Tag { get; }

    public bool TagGiven { get; }

    /// <summary>
    /// The registry speaks plain HTTP (http://HOST/v2/…), as ORAS's --plain-http: set for the registries a command names
    /// when it is given -AllowInsecureTransport (--allow-insecure-transport), and for a mirrors.json entry with
    /// <c>"plainHttp": true</c>, which is still refused without that switch (<see cref="CheckTransport"/>).
    /// </summary>
    public bool PlainHttp { get; }

    /// <summary>True when <paramref name="text"/> is meant as a registry reference (starts with oci://).</summary>
    public static bool IsReference(string? text) => text != null && text.StartsWith(Scheme + "://", StringComparison.OrdinalIgnoreCase);

    /// <summary>Parses an <c>oci://</c> reference.</summary>
    /// <exception cref="RegistryReferenceException">not oci://, no repository, or a name the distribution spec does not allow.</exception>
    public static OciReference Parse(string text, bool plainHttp = false)
    {
        if (!IsReference(text)) throw new RegistryReferenceException(text ?? string.Empty, "it does not start with oci://");
        string rest = text.Substring(Scheme.Length + 3);
        int slash = rest.IndexOf('/');
        if (slash <= 0) throw new RegistryReferenceException(text, "it names no repository (oci://HOST[:PORT]/REPO[:TAG])");
        string host = rest.Substring(0, slash).ToLowerInvariant();
        string path = rest.Substring(slash + 1);
        if (host.IndexOf('@') >= 0)
            throw new RegistryReferenceException(text, "it holds a user name or password; give credentials with -RegistryCredential (--registry-user) or the Docker config, never in the reference");
        if (!HostPattern.IsMatch(host)) throw new RegistryReferenceException(text, $"'{host}' is not a host or host:port");
        string tag = DefaultTag;
        bool tagGiven = false;
        int colon = path.LastIndexOf(':');
        if (colon >= 0)
        {
            tag = path.Substring(colon + 1);
            path = path.Substring(0, colon);
            tagGiven = true;
            if (!TagPattern.IsMatch(tag)) throw new RegistryReferenceException(text, $"'{tag}' is not a tag (letters, digits, '_', '.', '-'; at most 128)");
        }
        if (!RepositoryPattern.IsMatch(path) || path.Length > 255)
            throw new RegistryReferenceException(text, $"'{path}' is not a repository name (lower-case letters and digits, separated by '.', '_', '-' or '/')");
        return new OciReference(host, path, tag, tagGiven, plainHttp);
    }

    /// <summary>https://HOST[:PORT]/, or http:// for a <see cref="PlainHttp"/> registry.</summary>
    public Uri BaseUri() => new((PlainHttp ? "http" : "https") + "://" + Host + "/");

    public Uri BlobUri(string digest) => new(BaseUri(), $"v2/{Repository}/blobs/{digest}");

    public Uri ManifestUri(string reference) => new(BaseUri(), $"v2/{Repository}/manifests/{reference}");

    public Uri UploadUri() => new(BaseUri(), $"v2/{Repository}/blobs/uploads/");

    /// <summary>
    /// A plain-HTTP registry is spoken to only when the caller allowed insecure transport: the same switch, and the same
    /// <see cref="ErrorIds.InsecureTransport"/>, as an http:// download. <paramref name="writtenIn"/> says where the registry
    /// was marked plain HTTP ("plainHttp": true in a mirrors.json).
    /// </summary>
    /// <exception cref="InsecureTransportException">plain HTTP without <paramref name="allowInsecureTransport"/>.</exception>
    public void CheckTransport(bool allowInsecureTransport, string? writtenIn = null)
    {
        if (!PlainHttp || allowInsecureTransport) return;
        throw new InsecureTransportException(BaseUri(),
            $"The registry {RepositoryText} is plain HTTP{(writtenIn != null ? " (" + writtenIn + ")" : "")}, and plain HTTP is used only with -AllowInsecureTransport (--allow-insecure-transport). " +
            "Give that switch, or serve the registry over HTTPS. What it serves is verified against the pin either way, but anyone on the path sees what is fetched and any password sent.");
    }

    /// <summary>oci://HOST/REPO, without the tag: what -Registry takes.</summary>
    public string RepositoryText => $"{Scheme}://{Host}/{Repository}";

    public override string ToString() => $"{Scheme}://{Host}/{Repository}{(TagGiven ? ":" + Tag : "")}";
}
