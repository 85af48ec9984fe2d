using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace SecureInstall.Release;

/// <summary>
/// A CycloneDX 1.5 JSON SBOM derived from the NuGet lock files of the shipped projects: every package with its exact
/// version, purl and the SHA-512 the lock pins, and the dependency graph. Deterministic: the time is the source date
/// and the serial number is derived from the content, so two builds of a commit give the same bytes.
/// The native `secureinstall` executables of the release (issue 23) are components of their own, each with the SHA-256
/// checksums.txt lists, depending on the packages compiled into them (the CLI project's and the core's).
/// </summary>
public static class Sbom
{
    private sealed record Package(string Name, string Version, string Sha512Hex, bool CompileOnly, SortedSet<string> DependsOn);

    /// <summary>A native executable shipped as a release asset: its asset name and SHA-256 (lower-case hex).</summary>
    public sealed record NativeAsset(string Name, string Sha256Hex);

    public static byte[] Create(string root, IReadOnlyList<string> projects, string version, DateTimeOffset sourceDate,
        IReadOnlyList<NativeAsset>? native = null, IReadOnlyList<string>? nativeProjects = null)
    {
        ArgumentNullException.ThrowIfNull(projects);
        var packages = new SortedDictionary<string, Package>(StringComparer.Ordinal);
        var compiledIn = new SortedSet<string>(StringComparer.Ordinal);
        foreach (string project in projects)
        {
            bool inNative = nativeProjects != null && nativeProjects.Contains(project, StringComparer.Ordinal);
            string dir = Path.Combine(root, project);
            string csproj = File.ReadAllText(Directory.GetFiles(dir, "*.csproj").Single());
            using JsonDocument lockFile = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "packages.lock.json")));
            foreach (JsonProperty framework in lockFile.RootElement.GetProperty("dependencies").EnumerateObject())
            {
                foreach (JsonProperty dep in framework.Value.EnumerateObject())
                {
                    if (dep.Value.GetProperty("type").GetString() == "Project") continue;
                    string name = dep.Name, resolved = dep.Value.GetProperty("resolved").GetString()!;
                    string purl = Purl(name, resolved);
                    // A reference-only package (ExcludeAssets="runtime") is needed to compile but does not ship.
                    bool compileOnly = Regex.IsMatch(csproj, $"Include=\"{Regex.Escape(name)}\"[^>]*ExcludeAssets=\"[^\"]*runtime", RegexOptions.IgnoreCase);
                    if (inNative && !compileOnly) compiledIn.Add(purl);
                    if (!packages.TryGetValue(purl, out Package? package))
                    {
                        string hash = Convert.ToHexString(Convert.FromBase64String(dep.Value.GetProperty("contentHash").GetString()!)).ToLowerInvariant();
                        package = new Package(name, resolved, hash, compileOnly, new SortedSet<string>(StringComparer.Ordinal));
                        packages[purl] = package;
                    }
                    if (dep.Value.TryGetProperty("dependencies", out JsonElement children))
                    {
                        foreach (JsonProperty child in children.EnumerateObject())
                        {
                            string childVersion = ResolvedVersion(framework.Value, child.Name) ?? child.Value.GetString()!;
                            package.DependsOn.Add(Purl(child.Name, childVersion));
                        }
                    }
                }
            }
        }

        string self = $"pkg:nuget/SecureInstall@{version}";
        var executables = (native ?? Array.Empty<NativeAsset>()).OrderBy(n => n.Name, StringComparer.Ordinal).ToList();
        var release = new Release(self, version, sourceDate, executables, compiledIn);
        byte[] body = Write(packages, release, serial: null);
        // The serial number names this exact content (RFC 4122 layout over a SHA-256 of the document without it).
        byte[] h = SHA256.HashData(body);
        h[6] = (byte)((h[6] & 0x0F) | 0x50);
        h[8] = (byte)((h[8] & 0x3F) | 0x80);
        string serial = "urn:uuid:" + new Guid(Convert.ToHexString(h, 0, 16)).ToString();
        return Write(packages, release, serial);
    }

    private sealed record Release(string Self, string Version, DateTimeOffset SourceDate, IReadOnlyList<NativeAsset> Native, SortedSet<string> CompiledIn);

    private static string NativeRef(NativeAsset asset, string version) => $"pkg:generic/{asset.Name}@{version}";

    private static string? ResolvedVersion(JsonElement framework, string name)
    {
        foreach (JsonProperty p in framework.EnumerateObject())
        {
            if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase) && p.Value.TryGetProperty("resolved", out JsonElement v)) return v.GetString();
        }
        return null;
    }

    private static string Purl(string name, string version) => $"pkg:nuget/{name}@{version}";

    private static void WriteComponent(Utf8JsonWriter json, string type, string purl, string name, string version, string scope, string algorithm, string hash, string? description)
    {
        json.WriteStartObject();
        json.WriteString("type", type);
        json.WriteString("bom-ref", purl);
        json.WriteString("name", name);
        json.WriteString("version", version);
        if (description != null) json.WriteString("description", description);
        json.WriteString("scope", scope);
        json.WriteStartArray("hashes");
        json.WriteStartObject();
        json.WriteString("alg", algorithm);
        json.WriteString("content", hash);
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteString("purl", purl);
        json.WriteEndObject();
    }

    private static byte[] Write(SortedDictionary<string, Package> packages, Release release, string? serial)
    {
        (string self, string version, DateTimeOffset sourceDate) = (release.Self, release.Version, release.SourceDate);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("bomFormat", "CycloneDX");
            json.WriteString("specVersion", "1.5");
            if (serial != null) json.WriteString("serialNumber", serial);
            json.WriteNumber("version", 1);
            json.WriteStartObject("metadata");
            json.WriteString("timestamp", sourceDate.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture));
            json.WriteStartObject("tools");
            json.WriteStartArray("components");
            json.WriteStartObject();
            json.WriteString("type", "application");
            json.WriteString("name", "SecureInstall.Release");
            json.WriteString("description", "tools/SecureInstall.Release: derived from the NuGet lock files");
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteStartObject("component");
            json.WriteString("type", "library");
            json.WriteString("bom-ref", self);
            json.WriteString("name", "SecureInstall");
            json.WriteString("version", version);
            json.WriteString("purl", self);
            json.WriteEndObject();
            json.WriteEndObject();

            json.WriteStartArray("components");
            foreach (NativeAsset asset in release.Native)
            {
                WriteComponent(json, "application", NativeRef(asset, version), asset.Name, version, "required", "SHA-256", asset.Sha256Hex,
                    "the native (Native AOT) secureinstall executable, a release asset");
            }
            foreach ((string purl, Package p) in packages)
                WriteComponent(json, "library", purl, p.Name, p.Version, p.CompileOnly ? "excluded" : "required", "SHA-512", p.Sha512Hex, null);
            json.WriteEndArray();

            json.WriteStartArray("dependencies");
            json.WriteStartObject();
            json.WriteString("ref", self);
            json.WriteStartArray("dependsOn");
            foreach (string purl in packages.Keys) json.WriteStringValue(purl);
            foreach (NativeAsset asset in release.Native) json.WriteStringValue(NativeRef(asset, version));
            json.WriteEndArray();
            json.WriteEndObject();
            foreach (NativeAsset asset in release.Native)
            {
                json.WriteStartObject();
                json.WriteString("ref", NativeRef(asset, version));
                json.WriteStartArray("dependsOn");
                foreach (string purl in release.CompiledIn) json.WriteStringValue(purl);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            foreach ((string purl, Package p) in packages)
            {
                json.WriteStartObject();
                json.WriteString("ref", purl);
                json.WriteStartArray("dependsOn");
                foreach (string d in p.DependsOn.Where(packages.ContainsKey)) json.WriteStringValue(d);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }
}
