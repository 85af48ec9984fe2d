using System;
using System.Collections.Generic;
using System.Linq;
using System.Security;
using System.Security.Cryptography;
using System.Text;

namespace SecureInstall.Release;

/// <summary>
/// The module as the PowerShell Gallery serves it: a .nupkg with the module files at its root, a nuspec whose tags
/// list the commands (PSModule, PSIncludes_Cmdlet, PSCmdlet_*, PSCommand_*), and the OPC parts NuGet clients expect.
/// Install-PSResource / Install-Module unpack it into &lt;Modules&gt;/SecureInstall/&lt;version&gt;.
/// </summary>
public static class GalleryPackage
{
    public static List<KeyValuePair<string, byte[]>> Entries(ModuleManifestText manifest, IReadOnlyList<KeyValuePair<string, byte[]>> moduleFiles)
    {
        var tags = new List<string>(manifest.Tags) { "PSModule", "PSIncludes_Cmdlet" };
        foreach (string cmdlet in manifest.Cmdlets) { tags.Add("PSCmdlet_" + cmdlet); tags.Add("PSCommand_" + cmdlet); }
        string keywords = string.Join(" ", tags.Distinct(StringComparer.Ordinal));

        string nuspec =
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n" +
            "<package xmlns=\"http://schemas.microsoft.com/packaging/2011/08/nuspec.xsd\">\n" +
            "  <metadata>\n" +
            "    <id>SecureInstall</id>\n" +
            $"    <version>{X(manifest.Version)}</version>\n" +
            $"    <authors>{X(manifest.Author)}</authors>\n" +
            $"    <owners>{X(manifest.Author)}</owners>\n" +
            "    <requireLicenseAcceptance>false</requireLicenseAcceptance>\n" +
            $"    <licenseUrl>{X(manifest.LicenseUri)}</licenseUrl>\n" +
            $"    <projectUrl>{X(manifest.ProjectUri)}</projectUrl>\n" +
            $"    <description>{X(manifest.Description)}</description>\n" +
            $"    <copyright>{X(manifest.Copyright)}</copyright>\n" +
            $"    <tags>{X(keywords)}</tags>\n" +
            "  </metadata>\n" +
            "</package>\n";
        byte[] nuspecBytes = Encoding.UTF8.GetBytes(nuspec);
        // Names NuGet would make random are derived from the content, so two builds agree.
        string id = Hex(SHA256.HashData(nuspecBytes)).Substring(0, 32);
        string coreProperties = $"package/services/metadata/core-properties/{id}.psmdcp";

        var entries = new List<KeyValuePair<string, byte[]>>(moduleFiles)
        {
            new("SecureInstall.nuspec", nuspecBytes),
            new(coreProperties, Encoding.UTF8.GetBytes(
                "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n" +
                "<coreProperties xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:dcterms=\"http://purl.org/dc/terms/\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\">" +
                $"<dc:creator>{X(manifest.Author)}</dc:creator><dc:description>{X(manifest.Description)}</dc:description><dc:identifier>SecureInstall</dc:identifier>" +
                $"<version>{X(manifest.Version)}</version><keywords>{X(keywords)}</keywords><lastModifiedBy>SecureInstall.Release</lastModifiedBy></coreProperties>\n")),
            new("_rels/.rels", Encoding.UTF8.GetBytes(
                "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n" +
                "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">" +
                $"<Relationship Type=\"http://schemas.microsoft.com/packaging/2010/07/manifest\" Target=\"/SecureInstall.nuspec\" Id=\"R{id.Substring(0, 16)}\" />" +
                $"<Relationship Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties\" Target=\"/{coreProperties}\" Id=\"R{id.Substring(16, 16)}\" />" +
                "</Relationships>\n")),
        };
        IEnumerable<string> extensions = moduleFiles.Select(f => System.IO.Path.GetExtension(f.Key).TrimStart('.').ToLowerInvariant())
            .Where(e => e.Length > 0 && e != "rels" && e != "nuspec" && e != "psmdcp").Distinct().OrderBy(e => e, StringComparer.Ordinal);
        var types = new StringBuilder("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">");
        types.Append("<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\" />");
        types.Append("<Default Extension=\"nuspec\" ContentType=\"application/octet\" />");
        types.Append("<Default Extension=\"psmdcp\" ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\" />");
        foreach (string ext in extensions) types.Append($"<Default Extension=\"{X(ext)}\" ContentType=\"application/octet\" />");
        types.Append("</Types>\n");
        entries.Add(new("[Content_Types].xml", Encoding.UTF8.GetBytes(types.ToString())));
        return entries;
    }

    private static string X(string text) => SecurityElement.Escape(text) ?? string.Empty;

    internal static string Hex(byte[] bytes) => Convert.ToHexString(bytes).ToLowerInvariant();
}
