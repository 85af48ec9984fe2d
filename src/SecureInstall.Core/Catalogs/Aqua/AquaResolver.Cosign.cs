using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace SecureInstall.Core.Catalogs.Aqua;

/// <summary>
/// An aqua package's top-level <c>cosign:</c> (the artifact itself signed) as the manifest's <c>scheme: sigstore</c>
/// policy: a Sigstore bundle beside the artifact, the signer's certificate identity (exact, or a regular expression when
/// the definition's identity names the version: the manifest states one policy for every version) and OIDC issuer.
/// What the core cannot check offline (a bare signature and certificate, a key at a URL, an ignored transparency log)
/// is named, not carried.
/// </summary>
public static partial class AquaResolver
{
    // A version no release has: where it shows in a rendering, the template named the version.
    private const string ProbeVersion = "v987654321.0.0";

    /// <summary>A <c>cosign:</c> block as the core can check it: a bundle, and who must have signed it; or why it cannot be checked.</summary>
    private sealed class CosignBlock
    {
        public Uri? Bundle;
        public string? Identity, IdentityRegex, Issuer, Why;
    }

    /// <summary>
    /// What any <c>cosign:</c> block (the artifact's or the checksum file's) says, and the reasons shared by both why it is
    /// not checked: no bundle (a bare signature needs an online Rekor lookup), an ignored transparency log, a key at a URL,
    /// no identity and issuer.
    /// </summary>
    private static CosignBlock ReadCosignBlock(YamlMappingNode cosign, Dictionary<string, YamlNode> pkg, Dictionary<string, string> values, Uri githubBase, string where)
    {
        var opts = cosign.Children.TryGetValue(new YamlScalarNode("opts"), out YamlNode? o) && o is YamlSequenceNode seq
            ? seq.OfType<YamlScalarNode>().Select(s => s.Value ?? string.Empty).ToList() : new List<string>();
        string? Opt(string name)
        {
            int i = opts.IndexOf(name);
            if (i >= 0 && i + 1 < opts.Count) return opts[i + 1];
            return opts.FirstOrDefault(x => x.StartsWith(name + "=", StringComparison.Ordinal))?.Substring(name.Length + 1);
        }
        var bag = Bag(cosign);
        var block = new CosignBlock
        {
            Bundle = bag.TryGetValue("bundle", out YamlNode? b) && b is YamlMappingNode bundleNode ? Located(Bag(bundleNode), pkg, values, githubBase, where) : null,
            Identity = Opt("--certificate-identity"), IdentityRegex = Opt("--certificate-identity-regexp"), Issuer = Opt("--certificate-oidc-issuer"),
        };
        if (block.Bundle == null)
            block.Why = "the definition gives no Sigstore bundle (a bare signature and certificate, or a key); the core verifies bundles offline, and a bare signature's transparency-log entry would have to be looked up in Rekor online, as cosign verify-blob does";
        else if (opts.Contains("--insecure-ignore-tlog") || opts.Contains("--insecure-ignore-tlog=true"))
            block.Why = "the definition ignores the transparency log (--insecure-ignore-tlog), which a Sigstore policy never does";
        else if (Opt("--key") != null)
            block.Why = $"the signer is a key at {Opt("--key")}; the manifest's sigstore policy takes a key file reviewed beside the manifest, not one fetched at install";
        else if (block.Issuer == null || (block.Identity == null) == (block.IdentityRegex == null))
            block.Why = "the definition names no certificate identity (or identity regexp) and OIDC issuer, and a bundle verified without saying who signed it proves nothing";
        return block;
    }

    private static void ReadCosign(YamlMappingNode cosign, Dictionary<string, YamlNode> pkg, Dictionary<string, string> values, Uri githubBase, string where, CatalogArtifact artifact)
    {
        CosignBlock block = ReadCosignBlock(cosign, pkg, values, githubBase, where);
        Uri? bundle = block.Bundle;
        string? identity = block.Identity, identityRegex = block.IdentityRegex, issuer = block.Issuer, why = block.Why;
        if (why == null && artifact.Signature != null)
            why = $"the entry carries the {artifact.Signature["scheme"]} policy, and a manifest states one signature policy per tool";
        else if (why == null && !bundle!.AbsoluteUri.StartsWith(artifact.Url.AbsoluteUri, StringComparison.Ordinal))
            why = $"the bundle {bundle} is not beside the artifact ({{url}}…), which the manifest's bundle pattern cannot say for every version";
        if (why != null)
        {
            artifact.NotCarried.Add("cosign: " + why + ", so it is not carried");
            return;
        }
        var policy = new Dictionary<string, string> { ["scheme"] = "sigstore" };
        if (identity != null)
        {
            string exact = GoTemplate.Render(identity, values, where);
            string probed = GoTemplate.Render(identity, Probe(values), where);
            if (probed == exact) policy["identity"] = exact;
            else policy["identity_regex"] = "^" + Regex.Escape(probed).Replace(Regex.Escape(ProbeVersion), "[^@]+").Replace(Regex.Escape(ProbeVersion.Substring(1)), "[^@]+") + "$";
        }
        else
        {
            string exact = GoTemplate.Render(identityRegex!, values, where);
            if (GoTemplate.Render(identityRegex!, Probe(values), where) != exact)
            {
                artifact.NotCarried.Add("cosign: the certificate identity regexp names the version, and the manifest states one policy for every version, so it is not carried");
                return;
            }
            policy["identity_regex"] = GoRegex(exact);
        }
        policy["issuer"] = GoTemplate.Render(issuer!, values, where);
        policy["bundle"] = "{url}" + bundle!.AbsoluteUri.Substring(artifact.Url.AbsoluteUri.Length);
        artifact.Signature = policy;
    }

    /// <summary>cosign's identity regexp is Go (RE2) syntax: its <c>\Q…\E</c> literal quoting, which .NET lacks, becomes escaped text.</summary>
    private static string GoRegex(string regex) => Regex.Replace(regex, @"\\Q(.*?)(?:\\E|$)", m => Regex.Escape(m.Groups[1].Value), RegexOptions.Singleline);

    private static Dictionary<string, string> Probe(Dictionary<string, string> values) =>
        new(values) { ["Version"] = ProbeVersion, ["SemVer"] = ProbeVersion.Substring(1) };

    /// <summary>A signature or bundle the definition places (type github_release: asset, in the package's or the named repository; type http: url).</summary>
    private static Uri? Located(Dictionary<string, YamlNode> bag, Dictionary<string, YamlNode> pkg, Dictionary<string, string> values, Uri githubBase, string where) =>
        (Scalar(bag, "type") ?? "github_release") switch
        {
            "http" when Scalar(bag, "url") is string u => HttpsUrl(GoTemplate.Render(u, values, where), u, where),
            "github_release" when Scalar(bag, "asset") is string a => ReleaseUrl(githubBase, Scalar(bag, "repo_owner") ?? Scalar(pkg, "repo_owner") ?? "",
                Scalar(bag, "repo_name") ?? Scalar(pkg, "repo_name") ?? "", values["Version"], FileNameOnly(GoTemplate.Render(a, values, where), a, where), where),
            _ => null,
        };
}
