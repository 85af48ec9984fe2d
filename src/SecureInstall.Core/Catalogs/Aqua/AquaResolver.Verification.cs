using SecureInstall.Core.Checksums;
using SecureInstall.Core.Manifests;
using YamlDotNet.RepresentationModel;

namespace SecureInstall.Core.Catalogs.Aqua;

/// <summary>What vouches for an aqua artifact: its checksum file (checksum:) and the signature policies carried into the entry.</summary>
public static partial class AquaResolver
{
    private static void ReadChecksum(Dictionary<string, YamlNode> pkg, string goos, string goarch, string assetArch, Dictionary<string, string> values,
        Uri githubBase, string where, CatalogArtifact artifact)
    {
        if (!pkg.TryGetValue("checksum", out YamlNode? node) || node is not YamlMappingNode checksum)
        {
            artifact.UnpinnedReason = "the definition names no checksum file";
            return;
        }
        var c = Bag(checksum);
        if (Disabled(checksum))
        {
            artifact.UnpinnedReason = "the definition says checksum: enabled: false (the publisher gives no checksum file)";
            return;
        }
        var checksumValues = new Dictionary<string, string>(values);
        var replacements = Map(c, "replacements");
        if (replacements.Count > 0)
        {
            checksumValues["OS"] = replacements.TryGetValue(goos, out string? os) ? os : values["OS"];
            checksumValues["Arch"] = replacements.TryGetValue(assetArch, out string? arch) ? arch : values["Arch"];
        }
        string type = Scalar(c, "type") ?? "github_release";
        Uri url;
        if (type == "github_release")
        {
            string template = Scalar(c, "asset") ?? throw new CatalogException(ErrorIds.CatalogDefinitionInvalid, where, "checksum of type github_release names no asset.");
            string name = FileNameOnly(GoTemplate.Render(template, checksumValues, where), template, where);
            url = ReleaseUrl(githubBase, Scalar(pkg, "repo_owner") ?? "", Scalar(pkg, "repo_name") ?? "", values["Version"], name, where);
        }
        else if (type == "http")
        {
            string template = Scalar(c, "url") ?? throw new CatalogException(ErrorIds.CatalogDefinitionInvalid, where, "checksum of type http names no url.");
            url = HttpsUrl(GoTemplate.Render(template, checksumValues, where), template, where);
        }
        else
        {
            throw new CatalogException(ErrorIds.CatalogDefinitionUnsupported, where, $"checksum type '{type}' is not mapped (github_release and http are).");
        }
        string algorithmName = Scalar(c, "algorithm") ?? "sha256";
        if (!ChecksumAlgorithms.TryParse(algorithmName, out ChecksumAlgorithm algorithm))
            throw new CatalogException(ErrorIds.CatalogDefinitionUnsupported, where, $"checksum algorithm '{algorithmName}' is not one SecureInstall checks.");
        var source = new CatalogChecksumSource { Url = url, Algorithm = algorithm, FileFormat = Scalar(c, "file_format") ?? string.Empty };
        if (source.FileFormat is not ("" or "raw" or "regexp"))
            throw new CatalogException(ErrorIds.CatalogDefinitionUnsupported, where, $"checksum file_format '{source.FileFormat}' is not mapped (raw and regexp are).");
        if (c.TryGetValue("pattern", out YamlNode? p) && p is YamlMappingNode pattern)
        {
            source.ChecksumPattern = AquaDefinition.Text(pattern, "checksum");
            source.FilePattern = AquaDefinition.Text(pattern, "file");
        }
        if (source.FileFormat == "regexp" && source.ChecksumPattern == null)
            throw new CatalogException(ErrorIds.CatalogDefinitionInvalid, where, "checksum file_format regexp names no pattern.checksum.");
        artifact.Checksum = source;
        if (c.TryGetValue("cosign", out YamlNode? cs) && cs is YamlMappingNode cosign && !Disabled(cosign))
        {
            // The publisher signed the checksum file: its bundle is verified before any digest in it is trusted (CatalogPinner).
            CosignBlock block = ReadCosignBlock(cosign, pkg, checksumValues, githubBase, where);
            if (block.Why != null)
            {
                artifact.NotCarried.Add($"checksum.cosign: {block.Why}; the checksum file's signature is not checked, and the manifest pins the digests it lists, trusted as served over https");
            }
            else
            {
                source.SigstoreBundle = block.Bundle;
                source.CertificateIdentity = block.Identity == null ? null : GoTemplate.Render(block.Identity, checksumValues, where);
                source.CertificateIdentityRegex = block.IdentityRegex == null ? null : GoRegex(GoTemplate.Render(block.IdentityRegex, checksumValues, where));
                source.CertificateOidcIssuer = GoTemplate.Render(block.Issuer!, checksumValues, where);
            }
        }
        if (c.TryGetValue("minisign", out YamlNode? m) && !Disabled(m))
            artifact.NotCarried.Add("checksum.minisign: the checksum file's minisign signature is not checked; the manifest pins the digests it lists, trusted as served over https");
    }

    private static void ReadSignatures(Dictionary<string, YamlNode> pkg, Dictionary<string, string> values, Uri githubBase, string where, CatalogArtifact artifact)
    {
        if (pkg.TryGetValue("minisign", out YamlNode? m) && m is YamlMappingNode minisign && !Disabled(minisign))
        {
            var bag = Bag(minisign);
            string? key = Scalar(bag, "public_key");
            Uri? sig = Located(bag, pkg, values, githubBase, where);
            if (key == null || sig == null)
                artifact.NotCarried.Add("minisign: the definition names no public_key or signature location, so it is not carried");
            else if (!sig.AbsoluteUri.StartsWith(artifact.Url.AbsoluteUri, StringComparison.Ordinal))
                artifact.NotCarried.Add($"minisign: the signature {sig} is not beside the artifact ({{url}}…), which the manifest's url pattern cannot say");
            else
                artifact.Signature = new Dictionary<string, string> { ["scheme"] = "minisign", ["key"] = key, ["url"] = "{url}" + sig.AbsoluteUri.Substring(artifact.Url.AbsoluteUri.Length) };
        }
        if (pkg.TryGetValue("cosign", out YamlNode? cs) && cs is YamlMappingNode cosign && !Disabled(cosign))
            ReadCosign(cosign, pkg, values, githubBase, where, artifact);
        if (pkg.TryGetValue("github_artifact_attestations", out YamlNode? g) && g is YamlMappingNode gaa && !Disabled(gaa))
        {
            string? workflow = AquaDefinition.Text(gaa, "signer_workflow") ?? AquaDefinition.Text(gaa, "signer-workflow");
            string owner = Scalar(pkg, "repo_owner") ?? "", repo = Scalar(pkg, "repo_name") ?? "";
            if (workflow == null || owner.Length == 0 || repo.Length == 0)
                artifact.NotCarried.Add($"github_artifact_attestations: the definition names no {(workflow == null ? "signer_workflow" : "repository")}, and an attestation policy without one trusts any workflow");
            else if (artifact.Signature != null)
                artifact.NotCarried.Add($"github_artifact_attestations (signer workflow {workflow}): the entry carries the {artifact.Signature["scheme"]} policy, and a manifest states one signature policy per tool");
            else
            {
                // GitHub serves attestations from its API by the artifact's digest: the pinned SHA-256 fills {sha256} at install.
                var policy = new Dictionary<string, string>
                {
                    ["scheme"] = "github-attestation", ["repository"] = owner + "/" + repo, ["workflow"] = workflow,
                    ["bundle"] = AttestationsApi(githubBase, owner, repo, where).AbsoluteUri + "sha256:{sha256}",
                };
                if (AquaDefinition.Text(gaa, "predicate_type") is string predicate) policy["predicate_type"] = predicate;
                artifact.Signature = policy;
            }
        }
    }

    /// <summary>
    /// Where a repository's attestations are read by digest (append "sha256:HEX"): https://api.github.com/repos/O/R/attestations/
    /// for github.com, BASE/api/v3/repos/O/R/attestations/ for GitHub Enterprise Server (--github-base, GH_HOST).
    /// </summary>
    public static Uri AttestationsApi(Uri githubBase, string owner, string repo, string where)
    {
        _ = ReleaseUrl(githubBase, owner, repo, "t", "a", where); // the same owner, repository and https checks
        string api = string.Equals(githubBase.Host, "github.com", StringComparison.OrdinalIgnoreCase)
            ? "https://api.github.com/" : githubBase.AbsoluteUri.TrimEnd('/') + "/api/v3/";
        return new Uri(api + "repos/" + Uri.EscapeDataString(owner) + "/" + Uri.EscapeDataString(repo) + "/attestations/");
    }
}
