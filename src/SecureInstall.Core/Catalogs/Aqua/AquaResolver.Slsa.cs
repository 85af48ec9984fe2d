using YamlDotNet.RepresentationModel;

namespace SecureInstall.Core.Catalogs.Aqua;

/// <summary>
/// An aqua package's <c>slsa_provenance:</c> (slsa-github-generator's <c>*.intoto.jsonl</c>) as the manifest's
/// <c>scheme: slsa-provenance</c> policy: the provenance's URL pattern (beside the artifact, or a file of the same release
/// whose name is fixed or names only the version) and the source repository (<c>source_uri</c>, the package's own
/// repository when the definition gives none). The install looks the envelope's entry up in Rekor.
/// </summary>
public static partial class AquaResolver
{
    private static void ReadSlsaProvenance(YamlMappingNode slsa, Dictionary<string, YamlNode> pkg, Dictionary<string, string> values, Uri githubBase, string where, CatalogArtifact artifact)
    {
        var bag = Bag(slsa);
        Uri? provenance = Located(bag, pkg, values, githubBase, where);
        string sourceUri = Scalar(bag, "source_uri") ?? $"github.com/{Scalar(pkg, "repo_owner")}/{Scalar(pkg, "repo_name")}";
        string? pattern = null, why = null;
        if (provenance == null)
            why = "the definition gives no provenance location (type github_release with an asset, or http with a url)";
        else if (artifact.Signature != null)
            why = $"the entry carries the {artifact.Signature["scheme"]} policy, and a manifest states one signature policy per tool";
        else if (provenance.AbsoluteUri.StartsWith(artifact.Url.AbsoluteUri, StringComparison.Ordinal))
            pattern = "{url}" + provenance.AbsoluteUri.Substring(artifact.Url.AbsoluteUri.Length);
        else if (new Uri(artifact.Url, provenance.Segments.Last()).AbsoluteUri != provenance.AbsoluteUri)
            why = $"the provenance {provenance} is not in the artifact's release, which the manifest's provenance pattern cannot say for every version";
        else
        {
            string name = Uri.UnescapeDataString(provenance.Segments.Last());
            string probed = Located(bag, pkg, Probe(values), githubBase, where) is Uri p ? Uri.UnescapeDataString(p.Segments.Last()) : name;
            string withVersion = probed.Replace(ProbeVersion, "{version}");
            if (withVersion.Contains(ProbeVersion.Substring(1)))
                why = $"the provenance's name {name} holds the version without its 'v', which the manifest's provenance pattern cannot say";
            else
                pattern = withVersion;
        }
        if (why == null)
        {
            try
            {
                Signatures.Sigstore.SlsaProvenance.SourceRepository(sourceUri);
            }
            catch (ArgumentException ex)
            {
                why = ex.Message;
            }
        }
        if (why != null)
        {
            artifact.NotCarried.Add("slsa_provenance: " + why + ", so it is not carried");
            return;
        }
        artifact.Signature = new Dictionary<string, string> { ["scheme"] = "slsa-provenance", ["provenance"] = pattern!, ["source_uri"] = sourceUri };
    }
}
