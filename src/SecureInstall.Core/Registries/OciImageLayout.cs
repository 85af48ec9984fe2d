using System.Text.Json;
using SecureInstall.Core.IO;

namespace SecureInstall.Core.Registries;

/// <summary>
/// The OCI image layout beside a Save-PinnedTool bundle, in the same folder: <c>oci-layout</c>, <c>index.json</c> and
/// <c>blobs/sha256/</c>. The bundle's own files stay where they are (Install-PinnedTool -Source keeps reading them); each blob
/// is a hard link to its file (a copy where links are not possible), so the folder is both at no extra cost, and
/// <c>-Registry ./bundle</c>, <c>skopeo inspect oci:./bundle</c> and <c>oras copy --from-oci-layout</c> read it.
/// </summary>
public static class OciImageLayout
{
    public const string LayoutFileName = "oci-layout";
    public const string IndexFileName = "index.json";

    /// <summary>blobs/&lt;algorithm&gt;/&lt;hex&gt; for "sha256:&lt;hex&gt;" or "sha512:&lt;hex&gt;" (the image spec's layout).</summary>
    public static string BlobPath(string directory, string digest)
    {
        int colon = digest.IndexOf(':');
        return Path.Combine(directory, "blobs", digest.Substring(0, colon), digest.Substring(colon + 1));
    }

    /// <summary>Whether <paramref name="directory"/> holds an image layout.</summary>
    public static bool IsLayout(string directory) => File.Exists(Path.Combine(directory, LayoutFileName));

    /// <summary>Writes the layout over the bundle in <paramref name="directory"/>; returns the manifest's digest.</summary>
    public static string Write(string directory, string tag, CancellationToken cancellationToken)
    {
        var layers = OciArtifact.LayersOf(directory, cancellationToken);
        string blobs = Path.Combine(directory, "blobs", "sha256");
        UnixFileSystem.CreateDirectory(Path.Combine(directory, "blobs"), 0x1ED);
        UnixFileSystem.CreateDirectory(blobs, 0x1ED);
        foreach (OciLayer layer in layers.GroupBy(l => l.Digest).Select(g => g.First()))
        {
            string target = BlobPath(directory, layer.Digest);
            if (File.Exists(target)) continue;
            UnixFileSystem.CreateDirectory(Path.GetDirectoryName(target)!, 0x1ED);
            string temporary = AtomicFile.TemporaryPathFor(target);
            if (!HardLink.TryCreate(layer.Path, temporary)) File.Copy(layer.Path, temporary);
            AtomicFile.MoveIntoPlace(temporary, target);
        }
        WriteBlob(directory, OciArtifact.EmptyConfig);
        byte[] manifest = OciArtifact.Manifest(layers);
        string digest = WriteBlob(directory, manifest);
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, OciArtifact.JsonOptions))
        {
            json.WriteStartObject();
            json.WriteNumber("schemaVersion", 2);
            json.WriteString("mediaType", OciArtifact.IndexMediaType);
            json.WriteStartArray("manifests");
            json.WriteStartObject();
            json.WriteString("mediaType", OciArtifact.ManifestMediaType);
            json.WriteString("artifactType", OciArtifact.ArtifactType);
            json.WriteString("digest", digest);
            json.WriteNumber("size", manifest.Length);
            json.WriteStartObject("annotations");
            json.WriteString(OciArtifact.RefNameAnnotation, tag);
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
        }
        AtomicFile.WriteAllBytes(Path.Combine(directory, IndexFileName), stream.ToArray());
        AtomicFile.WriteAllText(Path.Combine(directory, LayoutFileName), "{\"imageLayoutVersion\":\"1.0.0\"}");
        return digest;
    }

    private static string WriteBlob(string directory, byte[] bytes)
    {
        string digest = OciArtifact.Digest(bytes);
        string path = BlobPath(directory, digest);
        if (!File.Exists(path)) AtomicFile.WriteAllBytes(path, bytes);
        return digest;
    }
}
