using System.Security.Cryptography;
using System.Text.Json;
using SecureInstall.Core.Checksums;
using SecureInstall.Core.Install;

namespace SecureInstall.Core.Registries;

/// <summary>One file of the artifact: a layer of the OCI manifest, titled by its path in a bundle.</summary>
public sealed class OciLayer
{
    public OciLayer(string path, string title, string digest, long size)
    {
        Path = path;
        Title = title;
        Digest = digest;
        Size = size;
    }

    /// <summary>The file on disk.</summary>
    public string Path { get; }

    /// <summary>Its org.opencontainers.image.title: the path inside a bundle, '/'-separated ("artifacts/&lt;sha256&gt;/tool.tar.gz").</summary>
    public string Title { get; }

    /// <summary>"sha256:&lt;hex&gt;"; "sha512:&lt;hex&gt;" for an artifact pinned by a sha512 integrity alone (so a pull can ask for it by its pin).</summary>
    public string Digest { get; }

    public long Size { get; }
}

/// <summary>
/// The OCI form of a Save-PinnedTool bundle: every file of the bundle (each artifact under <c>artifacts/&lt;pin&gt;/</c>, its
/// signatures and Sigstore bundles, each module's .nupkg under <c>modules/sha512-&lt;hex&gt;/</c>, the manifest, the lock,
/// SHA256SUMS) one layer titled by its path, so <c>oras pull</c>
/// writes back exactly the bundle that Install-PinnedTool -Source reads; an empty config as ORAS writes it; our artifactType.
/// </summary>
public static class OciArtifact
{
    public const string ArtifactType = "application/vnd.secureinstall.tools.v1+json";
    public const string ManifestMediaType = "application/vnd.oci.image.manifest.v1+json";
    public const string IndexMediaType = "application/vnd.oci.image.index.v1+json";
    /// <summary>
    /// Every layer's, a module's .nupkg too: what <c>oras push</c> gives a file, so <c>oras pull</c> writes each back by its
    /// title; one type for the whole artifact, so a registry that restricts layer types per artifact (Quay's
    /// ALLOWED_OCI_ARTIFACT_TYPES, Harbor's and Artifactory's policies) and accepts the tools accepts the modules; and no
    /// install reads it: a pull asks for a blob by its pinned digest and verifies the bytes.
    /// </summary>
    public const string LayerMediaType = "application/vnd.oci.image.layer.v1.tar";
    public const string EmptyMediaType = "application/vnd.oci.empty.v1+json";
    public const string TitleAnnotation = "org.opencontainers.image.title";
    public const string RefNameAnnotation = "org.opencontainers.image.ref.name";

    /// <summary>The empty JSON object "{}" the image spec defines for an artifact without a config (sha256:44136f…).</summary>
    public static readonly byte[] EmptyConfig = { (byte)'{', (byte)'}' };

    /// <summary>Media types as written ("v1+json", not "v1\u002Bjson"): the bytes other clients show and compare.</summary>
    internal static readonly JsonWriterOptions JsonOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Digest(byte[] bytes)
    {
        using SHA256 sha = SHA256.Create();
        return "sha256:" + Hex.Encode(sha.ComputeHash(bytes));
    }

    /// <summary>
    /// The layers of the bundle at <paramref name="bundleDirectory"/>, each file hashed now; an artifact's SHA-256 must be its
    /// folder's pin, so what is pushed under a pin is what the pin names.
    /// </summary>
    /// <exception cref="ChecksumMismatchException">a file under artifacts/&lt;sha256&gt;/ or modules/sha512-&lt;hex&gt;/ does not hash to that pin.</exception>
    public static IReadOnlyList<OciLayer> LayersOf(string bundleDirectory, CancellationToken cancellationToken)
    {
        var layers = new List<OciLayer>();
        string root = System.IO.Path.GetFullPath(bundleDirectory);
        var layout = new BundleLayout(root);
        var files = new List<string>();
        if (Directory.Exists(layout.ArtifactsDirectory)) files.AddRange(Directory.GetFiles(layout.ArtifactsDirectory, "*", SearchOption.AllDirectories));
        if (Directory.Exists(layout.ModulesDirectory)) files.AddRange(Directory.GetFiles(layout.ModulesDirectory, "*", SearchOption.AllDirectories));
        files.AddRange(Directory.GetFiles(root, "*", SearchOption.TopDirectoryOnly).Where(f => !IsLayoutFile(System.IO.Path.GetFileName(f))));
        foreach (string file in files.OrderBy(f => f, StringComparer.Ordinal))
        {
            string title = file.Substring(root.Length).TrimStart(System.IO.Path.DirectorySeparatorChar).Replace(System.IO.Path.DirectorySeparatorChar, '/');
            // artifacts/sha512-<hex>/: pinned by a sha512 integrity alone; the file that hashes to it is addressed by it (OCI
            // digests allow sha512, and the distribution registry verifies uploads by it), so a pull can ask for it by its pin.
            // modules/sha512-<hex>/<id>.<version>.nupkg (Save-PinnedModule's folder): a module is pinned by its package's sha512,
            // the digest Install-PinnedModule -Registry asks for, so every file there is addressed by it.
            bool module = title.StartsWith(BundleLayout.ModulesFolder + "/", StringComparison.Ordinal);
            string? sha512Pin = title.Split('/') is { Length: 3 } parts && (parts[0] == BundleLayout.ArtifactsFolder || module) && parts[1].StartsWith(Sha512Folder, StringComparison.Ordinal)
                ? parts[1].Substring(Sha512Folder.Length) : null;
            ChecksumAlgorithm[] algorithms = sha512Pin != null || module ? new[] { ChecksumAlgorithm.SHA256, ChecksumAlgorithm.SHA512 } : new[] { ChecksumAlgorithm.SHA256 };
            (string[] digests, long length) = FileHasher.HashFile(file, algorithms, null, cancellationToken);
            bool bySha512 = sha512Pin != null && Hex.DigestEquals(digests[1], sha512Pin);
            if (module && !bySha512)
                throw new ChecksumMismatchException(file, ChecksumAlgorithm.SHA512, sha512Pin ?? "(a sha512-<hex> folder)", digests[1],
                    $"its bundle folder {title.Substring(0, title.LastIndexOf('/'))}: a module's package is pushed only under its pin");
            layers.Add(new OciLayer(file, title, bySha512 ? "sha512:" + digests[1] : "sha256:" + digests[0], length));
        }
        // artifacts/<sha256>/ holds the artifact (and its signatures beside it): one of its files must hash to the folder's pin,
        // so what is pushed under a pin is what the pin names.
        foreach (var folder in layers.Where(l => l.Title.Split('/') is { Length: 3 } p && p[0] == BundleLayout.ArtifactsFolder && p[1].Length == 64 && Hex.IsHex(p[1]))
                     .GroupBy(l => l.Title.Split('/')[1]))
        {
            if (!folder.Any(l => Hex.DigestEquals(l.Digest.Substring(7), folder.Key)))
            {
                OciLayer first = folder.First();
                throw new ChecksumMismatchException(first.Path, ChecksumAlgorithm.SHA256, folder.Key, first.Digest.Substring(7), $"its bundle folder {BundleLayout.ArtifactsFolder}/{folder.Key}");
            }
        }
        foreach (var folder in layers.Where(l => l.Title.Split('/') is { Length: 3 } p && p[0] == BundleLayout.ArtifactsFolder && p[1].StartsWith(Sha512Folder, StringComparison.Ordinal))
                     .GroupBy(l => l.Title.Split('/')[1]))
        {
            if (!folder.Any(l => l.Digest.StartsWith("sha512:", StringComparison.Ordinal)))
            {
                OciLayer first = folder.First();
                throw new ChecksumMismatchException(first.Path, ChecksumAlgorithm.SHA512, folder.Key.Substring(Sha512Folder.Length), "(no file of the folder)", $"its bundle folder {BundleLayout.ArtifactsFolder}/{folder.Key}");
            }
        }
        return layers;
    }

    private const string Sha512Folder = "sha512-";

    /// <summary>
    /// The registry digest a pin is fetched by: "sha256:&lt;hex&gt;" or "sha512:&lt;hex&gt;" (the algorithms OCI digests
    /// register), from the pin or one of its companions; null for a pin by another algorithm alone (sha384).
    /// </summary>
    public static string? RegistryDigestOf(ChecksumEntry pin)
    {
        if (pin == null) throw new ArgumentNullException(nameof(pin));
        foreach (ChecksumEntry entry in new[] { pin }.Concat(pin.Companions))
        {
            if (entry.Algorithm == ChecksumAlgorithm.SHA256) return "sha256:" + entry.Digest.ToLowerInvariant();
        }
        foreach (ChecksumEntry entry in new[] { pin }.Concat(pin.Companions))
        {
            if (entry.Algorithm == ChecksumAlgorithm.SHA512) return "sha512:" + entry.Digest.ToLowerInvariant();
        }
        return null;
    }

    /// <summary>The OCI image layout's own files, which are never layers.</summary>
    public static bool IsLayoutFile(string name) => name is "oci-layout" or "index.json";

    /// <summary>The image manifest (canonical: no whitespace, fields in a fixed order).</summary>
    public static byte[] Manifest(IReadOnlyList<OciLayer> layers, IReadOnlyDictionary<string, string>? annotations = null)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, OciArtifact.JsonOptions))
        {
            json.WriteStartObject();
            json.WriteNumber("schemaVersion", 2);
            json.WriteString("mediaType", ManifestMediaType);
            json.WriteString("artifactType", ArtifactType);
            json.WriteStartObject("config");
            json.WriteString("mediaType", EmptyMediaType);
            json.WriteString("digest", Digest(EmptyConfig));
            json.WriteNumber("size", EmptyConfig.Length);
            json.WriteString("data", Convert.ToBase64String(EmptyConfig));
            json.WriteEndObject();
            json.WriteStartArray("layers");
            foreach (OciLayer layer in layers)
            {
                json.WriteStartObject();
                json.WriteString("mediaType", LayerMediaType);
                json.WriteString("digest", layer.Digest);
                json.WriteNumber("size", layer.Size);
                json.WriteStartObject("annotations");
                json.WriteString(TitleAnnotation, layer.Title);
                json.WriteEndObject();
                json.WriteEndObject();
            }
            json.WriteEndArray();
            if (annotations is { Count: > 0 })
            {
                json.WriteStartObject("annotations");
                foreach (KeyValuePair<string, string> kv in annotations.OrderBy(k => k.Key, StringComparer.Ordinal)) json.WriteString(kv.Key, kv.Value);
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        return stream.ToArray();
    }

    /// <summary>The layers a manifest lists (digest, size, title), read with limits; anything malformed is refused.</summary>
    public static IReadOnlyList<(string Digest, long Size, string Title)> ReadLayers(byte[] manifest, string source)
    {
        try
        {
            using JsonDocument doc = JsonDocument.Parse(manifest, new JsonDocumentOptions { MaxDepth = 16 });
            var result = new List<(string, long, string)>();
            foreach (JsonElement layer in doc.RootElement.GetProperty("layers").EnumerateArray())
            {
                string digest = layer.GetProperty("digest").GetString() ?? string.Empty;
                string title = layer.TryGetProperty("annotations", out JsonElement a) && a.TryGetProperty(TitleAnnotation, out JsonElement t) ? t.GetString() ?? string.Empty : string.Empty;
                result.Add((digest, layer.GetProperty("size").GetInt64(), title));
            }
            return result;
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new RegistryRequestException(source, null, "the manifest is not an OCI image manifest (" + ex.Message + ").", ex);
        }
    }

    internal static string Utf8(byte[] bytes) => Encoding.UTF8.GetString(bytes);
}
