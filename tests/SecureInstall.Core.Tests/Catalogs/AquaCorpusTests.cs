using SecureInstall.Core.Catalogs;
using SecureInstall.Core.Catalogs.Aqua;
using SecureInstall.Core.Manifests;
using YamlDotNet.RepresentationModel;
using Xunit.Abstractions;

namespace SecureInstall.Core.Tests.Catalogs;

/// <summary>Every definition of ../shared/corpus/aqua-registry (INDEX.md there), at every version its pkg.yaml tests, read in place.</summary>
public class AquaCorpusTests
{
    private static readonly Uri Base = new("https://github.com/");
    private readonly ITestOutputHelper _output;

    public AquaCorpusTests(ITestOutputHelper output) => _output = output;

    private static string? Registry => TestPaths.Corpus is { } c && Directory.Exists(Path.Combine(c, "aqua-registry")) ? Path.Combine(c, "aqua-registry") : null;

    /// <summary>(package, version) pairs from each pkg.yaml: "name@version" or name + version.</summary>
    private static IEnumerable<(string Package, string Version, string File)> Cases()
    {
        foreach (string pkgYaml in Directory.EnumerateFiles(Path.Combine(Registry!, "pkgs"), "pkg.yaml", SearchOption.AllDirectories).OrderBy(p => p, StringComparer.Ordinal))
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(File.ReadAllText(pkgYaml)));
            var root = (YamlMappingNode)stream.Documents[0].RootNode;
            foreach (YamlMappingNode p in ((YamlSequenceNode)root.Children[new YamlScalarNode("packages")]).OfType<YamlMappingNode>())
            {
                string name = ((YamlScalarNode)p.Children[new YamlScalarNode("name")]).Value!;
                string? version = p.Children.TryGetValue(new YamlScalarNode("version"), out YamlNode? v) ? ((YamlScalarNode)v).Value : null;
                if (name.Contains('@')) (name, version) = (name.Substring(0, name.IndexOf('@')), version ?? name.Substring(name.IndexOf('@') + 1));
                if (version != null) yield return (name, version, Path.Combine(Path.GetDirectoryName(pkgYaml)!, "registry.yaml"));
            }
        }
    }

    [SkippableFact]
    public void EveryDefinition_AtEveryTestedVersion_GivesEntriesOrANamedReason()
    {
        Skip.If(Registry == null, "../shared/corpus/aqua-registry is not present on this machine");
        int resolved = 0, refused = 0, artifacts = 0, packages = 0;
        var resolvedPackages = new HashSet<string>();
        var carried = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        var notCarried = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var (package, version, file) in Cases())
        {
            packages++;
            AquaDefinition definition = AquaDefinition.Parse(File.ReadAllText(file), file, package, null);
            try
            {
                CatalogResolution r = AquaResolver.Resolve(definition, version, Base);
                resolved++;
                resolvedPackages.Add(package);
                Assert.Equal(Platforms.Known.Count, r.Artifacts.Count + r.Skipped.Count);
                Assert.All(r.Skipped, s => Assert.False(string.IsNullOrWhiteSpace(s.Value)));
                foreach (CatalogArtifact a in r.Artifacts)
                {
                    artifacts++;
                    Assert.Equal("https", a.Url.Scheme);
                    Assert.DoesNotContain("/", a.Asset);
                    Assert.DoesNotContain("{{", a.Url.AbsoluteUri);
                    Assert.EndsWith("/" + Uri.EscapeDataString(a.Asset), a.Url.AbsoluteUri);
                    if (a.Checksum != null) Assert.Equal("https", a.Checksum.Url.Scheme);
                    if (a.Checksum?.SigstoreBundle is Uri checksumBundle)
                    {
                        // A signed checksum file carried is one the pinner verifies: an https bundle and a signer policy that builds.
                        Tally(carried, "checksum.cosign (checksum file Sigstore-verified)", package);
                        Assert.Equal("https", checksumBundle.Scheme);
                        Assert.NotNull(new Core.Signatures.Sigstore.SigstorePolicyOptions
                        {
                            CertificateIdentity = a.Checksum.CertificateIdentity, CertificateIdentityRegex = a.Checksum.CertificateIdentityRegex,
                            CertificateOidcIssuer = a.Checksum.CertificateOidcIssuer,
                        }.CreatePolicy());
                    }
                    if (a.Checksum == null) Assert.False(string.IsNullOrWhiteSpace(a.UnpinnedReason));
                    Assert.All(a.Executables, e => Assert.True(SecureInstall.Core.IO.RelativePath.IsInside(e), e));
                    if (a.Signature != null)
                    {
                        Tally(carried, a.Signature["scheme"], package);
                        // A carried policy is one the installer enforces: it builds, and its bundle or signature URL expands.
                        if (Core.Signatures.Sigstore.SigstoreRequirement.IsSigstoreScheme(a.Signature["scheme"]))
                            Assert.Equal("https", Core.Signatures.Sigstore.SigstoreRequirement.FromSettings(a.Signature, null, package).BundleUri(a.Url, version, package, new string('0', 64)).Scheme);
                        else
                            Assert.Equal("https", Core.Signatures.ManifestSignatureRequirement.Resolve(new SignaturePolicy { Scheme = a.Signature["scheme"], Settings = a.Signature }, package, version, a.Url).SignatureUri.Scheme);
                    }
                    foreach (string note in a.NotCarried.Where(n => !n.StartsWith("files:", StringComparison.Ordinal)))
                        Tally(notCarried, (note.IndexOf(':') is int i && i > 0 ? note.Substring(0, i) : note) + (note.Contains("no Sigstore bundle") ? " (no bundle)" : ""), package);
                }
            }
            catch (CatalogException ex)
            {
                refused++;
                _output.WriteLine($"{package}@{version}: {ex.ErrorId}: {ex.Reason}");
                Assert.Contains(ex.ErrorId, new[] { ErrorIds.CatalogDefinitionUnsupported, ErrorIds.CatalogDefinitionInvalid });
                Assert.False(string.IsNullOrWhiteSpace(ex.Reason));
            }
        }
        foreach (var kv in carried) _output.WriteLine($"carried {kv.Key}: {kv.Value.Count} packages: {string.Join(", ", kv.Value)}");
        foreach (var kv in notCarried) _output.WriteLine($"not carried {kv.Key}: {kv.Value.Count} packages: {string.Join(", ", kv.Value)}");
        _output.WriteLine($"{packages} package versions: {resolved} resolved ({artifacts} artifacts, {resolvedPackages.Count} packages), {refused} refused with a reason.");
        Assert.True(packages > 600, $"only {packages} package versions were walked");
        // The corpus is mostly github_release/http packages: all but a few resolve.
        Assert.True(resolvedPackages.Count >= 140, $"only {resolvedPackages.Count} packages resolved");
    }

    private static void Tally(SortedDictionary<string, SortedSet<string>> tally, string key, string package)
    {
        if (!tally.TryGetValue(key, out SortedSet<string>? set)) tally[key] = set = new SortedSet<string>(StringComparer.Ordinal);
        set.Add(package);
    }

    [SkippableTheory]
    // version_overrides by semver; darwin replaced by macOS; zip except on linux.
    [InlineData("cli/cli", "v2.49.2", "darwin-arm64", "https://github.com/cli/cli/releases/download/v2.49.2/gh_2.49.2_macOS_arm64.zip", "https://github.com/cli/cli/releases/download/v2.49.2/gh_2.49.2_checksums.txt")]
    [InlineData("cli/cli", "v2.49.2", "linux-x64", "https://github.com/cli/cli/releases/download/v2.49.2/gh_2.49.2_linux_amd64.tar.gz", "https://github.com/cli/cli/releases/download/v2.49.2/gh_2.49.2_checksums.txt")]
    // rosetta2 until 2.23.0: darwin/arm64 gets the amd64 build.
    [InlineData("cli/cli", "v2.20.0", "darwin-arm64", "https://github.com/cli/cli/releases/download/v2.20.0/gh_2.20.0_macOS_amd64.tar.gz", "https://github.com/cli/cli/releases/download/v2.20.0/gh_2.20.0_checksums.txt")]
    // windows raw asset completed with .exe (0.4.0 override), checksum disabled there.
    [InlineData("cli/cli", "v0.4.0", "windows-x64", "https://github.com/cli/cli/releases/download/v0.4.0/gh_0.4.0_windows_amd64.exe", null)]
    public void Definition_RendersTheUrlsItsRulesGive(string package, string version, string platform, string url, string? checksumUrl)
    {
        Skip.If(Registry == null, "../shared/corpus/aqua-registry is not present on this machine");
        string file = Path.Combine(Registry!, AquaDefinition.RelativePathOf(package));
        CatalogResolution r = AquaResolver.Resolve(AquaDefinition.Parse(File.ReadAllText(file), file, package, null), version, Base);
        CatalogArtifact a = Assert.Single(r.Artifacts, x => x.Platform == platform);
        Assert.Equal(url, a.Url.AbsoluteUri);
        Assert.Equal(checksumUrl, a.Checksum?.Url.AbsoluteUri);
    }

    [SkippableFact]
    public void CliCli_SupportedEnvs_LeaveOutWhatThePackageDoesNotBuild()
    {
        Skip.If(Registry == null, "../shared/corpus/aqua-registry is not present on this machine");
        string file = Path.Combine(Registry!, AquaDefinition.RelativePathOf("cli/cli"));
        // 0.5.2: supported_envs linux/amd64 and darwin only.
        CatalogResolution r = AquaResolver.Resolve(AquaDefinition.Parse(File.ReadAllText(file), file, "cli/cli", null), "v0.5.2", Base);
        Assert.Equal(new[] { "linux-x64", "darwin-x64", "darwin-arm64" }, r.Artifacts.Select(a => a.Platform));
        Assert.Contains(r.Skipped, s => s.Key == "windows-x64" && s.Value.Contains("supported_envs"));
        Assert.Equal("gh", r.ToolName);
    }
}
