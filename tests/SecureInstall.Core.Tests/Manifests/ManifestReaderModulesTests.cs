using SecureInstall.Core.Manifests;

namespace SecureInstall.Core.Tests.Manifests;

/// <summary>The manifest's modules: section (issue 22).</summary>
public class ManifestReaderModulesTests
{
    private static readonly byte[] Digest = Enumerable.Range(0, 64).Select(i => (byte)i).ToArray();
    private static readonly string Hex = SecureInstall.Core.Checksums.Hex.Encode(Digest);

    private static PinnedManifest Read(string yaml) => new ManifestReader().Read(new StringReader(yaml), "m.yml");

    [Theory]
    [InlineData("hex")]
    [InlineData("base64")]
    [InlineData("sri")]
    public void Sha512_ReadsHexBase64AndSri_AsOneDigest(string form)
    {
        string value = form switch { "hex" => Hex.ToUpperInvariant(), "base64" => Convert.ToBase64String(Digest), _ => "sha512-" + Convert.ToBase64String(Digest) };
        PinnedManifest m = Read($"""
            modules:
              PSScriptAnalyzer:
                version: "1.23.0"
                sha512: "{value}"
                source: https://www.powershellgallery.com/api/v2
                scope: AllUsers
            """);
        PinnedModule module = m.Modules.Single();
        Assert.Empty(m.Tools);
        Assert.Empty(module.Problems);
        Assert.Equal(Hex, module.Sha512Hex);
        Assert.Equal(SecureInstall.Core.Checksums.ChecksumAlgorithm.SHA512, module.Sha512!.Algorithm);
        Assert.Equal("1.23.0", module.Version);
        Assert.Equal("AllUsers", module.Scope);
        Assert.Same(module, m.FindModule("psscriptanalyzer"));
    }

    [Fact]
    public void ToolsAndModules_AreReadSideBySide()
    {
        PinnedManifest m = Read($"""
            tools:
              hello:
                version: "1.0.0"
                url: https://example.test/hello
                sha256: {new string('a', 64)}
            modules:
              Pester:
                version: "5.9.0"
                sha512: {Hex}
                source: https://example.test/v3/index.json
            """);
        Assert.Equal("native", m.Layout);
        Assert.Single(m.Tools);
        Assert.Equal("Pester", m.Modules.Single().Name);
    }

    [Theory]
    [InlineData("version: \"latest\"\n    sha512: HEX\n    source: https://example.test/api/v2", ErrorIds.ManifestVersionNotPinned)]
    [InlineData("version: \"1.0.0\"\n    source: https://example.test/api/v2", ErrorIds.ManifestEntryUnpinned)]
    [InlineData("version: \"1.0.0\"\n    sha512: abcd\n    source: https://example.test/api/v2", ErrorIds.ManifestEntryUnpinned)]
    [InlineData("version: \"1.0.0\"\n    sha512: HEX\n    source: http://example.test/api/v2", ErrorIds.ManifestInsecureUrl)]
    public void RuleViolations_AreRecordedOnTheModule_NotThrown(string body, string errorId)
    {
        PinnedManifest m = Read("modules:\n  Mod:\n    " + body.Replace("HEX", Hex) + "\n");
        Assert.Equal(errorId, m.Modules.Single().Problems.First().ErrorId);
    }

    [Theory]
    [InlineData("modules:\n  Mod:\n    version: \"1.0.0\"\n    sha512: HEX\n    source: https://example.test/api/v2\n    url: https://x.test/\n", "'url' is not a module setting")]
    [InlineData("modules:\n  Mod:\n    version: \"1.0.0\"\n    sha512: HEX\n", "has no source")]
    [InlineData("modules:\n  Mod:\n    version: \"1.0.0\"\n    sha512: HEX\n    source: https://example.test/api/v2\n  mod:\n    version: \"1.0.0\"\n    sha512: HEX\n    source: https://example.test/api/v2\n", "pinned twice")]
    [InlineData("modules:\n  ..:\n    version: \"1.0.0\"\n    sha512: HEX\n    source: https://example.test/api/v2\n", "cannot be a folder name")]
    [InlineData("modules:\n  Mod:\n    version: \"1.0.0\"\n    sha512: HEX\n    source: https://example.test/api/v2\n    scope: Everyone\n", "not CurrentUser or AllUsers")]
    [InlineData("modules: [Pester]\n", "'modules' must be a mapping")]
    public void MalformedModules_AreManifestFormatErrors(string yaml, string message)
    {
        var ex = Assert.Throws<ManifestFormatException>(() => Read(yaml.Replace("HEX", Hex)));
        Assert.Contains(message, ex.Message);
    }
}
