using SecureInstall.Core.Manifests;

namespace SecureInstall.Core.Tests.Manifests;

public class ManifestReaderTests
{
    private static readonly string Sha = new('a', 64);

    private static PinnedManifest Read(string yaml) => new ManifestReader().Read(new StringReader(yaml), "m.yml");

    [Fact]
    public void NativeLayout_ReadsPlatformsArchiveAndExecutables()
    {
        PinnedManifest m = Read($"""
            tools:
              hello:
                default_version: "1.0.0"
                checksums_url: https://example.test/hello/{"{version}"}/SHA256SUMS
                versions:
                  "1.0.0":
                    artifacts:
                      linux-x64:
                        url: https://example.test/hello-linux.tar.gz
                        sha256: {Sha}
                        size: 1234
                        archive: tar.gz
                        strip_components: 1
                        bin: [bin/hello]
                        mirrors: [https://mirror.test/hello-linux.tar.gz]
                      windows-x64:
                        url: https://example.test/hello.exe
                        sha256: {Sha.ToUpperInvariant()}
                        archive: binary
            """);
        PinnedTool tool = m.Tools.Single();
        Assert.Equal("native", m.Layout);
        PinnedVersion v = tool.Resolve(null)!;
        Assert.Empty(v.Problems);
        PinnedArtifact linux = v.ArtifactFor("linux-x64")!;
        Assert.Equal(ArtifactKind.TarGz, linux.Kind);
        Assert.Equal(1, linux.StripComponents);
        Assert.Equal(1234, linux.Size);
        Assert.Equal(new[] { "bin/hello" }, linux.Executables);
        Assert.Single(linux.Mirrors);
        Assert.Equal(Sha, v.ArtifactFor("windows-x64")!.Sha256);
        Assert.Null(v.ArtifactFor("darwin-arm64"));
    }

    [Fact]
    public void MissingDigest_IsAProblemNamingToolVersionAndLine()
    {
        PinnedManifest m = Read("""
            tools:
              hello:
                versions:
                  "1.0.0":
                    url: https://example.test/hello.zip
            """);
        ManifestRuleException p = m.Tools[0].Versions[0].Problems.Single();
        Assert.Equal(ErrorIds.ManifestEntryUnpinned, p.ErrorId);
        Assert.Equal("hello", p.Tool);
        Assert.Equal("1.0.0", p.Version);
        Assert.Equal(5, p.Line);
        Assert.Contains("m.yml, line 5: hello 1.0.0", p.Message);
    }

    [Theory]
    [InlineData("latest")]
    [InlineData("^1.2.0")]
    [InlineData(">=1.0")]
    [InlineData("1.x")]
    [InlineData("1.2.*")]
    [InlineData("stable")]
    public void MovingVersions_AreRefused(string version)
    {
        PinnedManifest m = Read($"tools:\n  t:\n    versions:\n      \"{version}\":\n        url: https://e.test/t.zip\n        sha256: {Sha}\n");
        Assert.Contains(m.Tools[0].Versions[0].Problems, p => p.ErrorId == ErrorIds.ManifestVersionNotPinned);
    }

    [Theory]
    [InlineData("http://e.test/t.zip", "ManifestInsecureUrl")]
    [InlineData("ftp://e.test/t.zip", "ManifestInsecureUrl")]
    [InlineData("https://github.com/o/r/releases/latest/download/t.zip", "ManifestVersionNotPinned")]
    public void InsecureOrMovingUrls_AreRefused(string url, string errorId)
    {
        PinnedManifest m = Read($"tools:\n  t:\n    versions:\n      \"1.0\":\n        url: {url}\n        sha256: {Sha}\n");
        Assert.Equal(errorId, m.Tools[0].Versions[0].Problems.Single().ErrorId);
    }

    [Fact]
    public void WaiverWithReason_TurnsProblemIntoRecordedWaiver()
    {
        PinnedManifest m = Read("""
            tools:
              image:
                version: "3.21.0"
                url: https://e.test/alpine.qcow2
                waiver: "Alpine rebuilds images in place; integrity from HTTPS only"
            """);
        PinnedVersion v = m.Tools[0].Versions[0];
        Assert.Empty(v.Problems);
        Waiver w = v.Waivers.Single();
        Assert.Equal(ErrorIds.ManifestEntryUnpinned, w.Rule);
        Assert.Contains("Alpine rebuilds", w.Reason);
    }

    [Fact]
    public void RelativeUrls_ResolveAgainstTheManifestFolder_AndAreRefusedWithoutOne()
    {
        string yaml = $"t:\n  version: \"1\"\n  url: ./dist/t.tar.gz\n  sha256: {Sha}\n";
        PinnedManifest m = new ManifestReader().Read(new StringReader(yaml), "m.yml", "/srv/bundle");
        Uri url = m.Tools[0].Versions[0].Artifacts[0].Url;
        Assert.True(url.IsFile);
        Assert.Equal(Path.GetFullPath("/srv/bundle/dist/t.tar.gz"), url.LocalPath);
        Assert.Throws<ManifestFormatException>(() => Read(yaml));
    }

    [Fact]
    public void MalformedYaml_IsManifestInvalidWithLine()
    {
        var ex = Assert.Throws<ManifestFormatException>(() => Read("tools:\n  t: [unclosed\n"));
        Assert.Equal(ErrorIds.ManifestInvalid, ex.ErrorId);
        Assert.True(ex.Line > 0);
    }

    [Fact]
    public void DefaultVersionThatIsNotListed_IsRefused()
    {
        Assert.Throws<ManifestFormatException>(() => Read($"t:\n  default_version: \"2\"\n  versions:\n    \"1\":\n      url: https://e.test/x\n      sha256: {Sha}\n"));
    }

    [Fact]
    public void BinPathsOutsideTheTree_AreRefused()
    {
        Assert.Throws<ManifestFormatException>(() => Read($"t:\n  version: \"1\"\n  url: https://e.test/x\n  sha256: {Sha}\n  bin: ../../etc/evil\n"));
    }

    [Theory]
    [InlineData("\".\"")]              // the tree itself, not a file in it: accepted before (the reader only knew '..', '/' and ':')
    [InlineData("\"./\"")]
    [InlineData("\"bin/\\0tool\"")]   // a NUL truncates the path: accepted before
    [InlineData("\"\\\\\\\\server\\\\share\\\\x\"")]
    [InlineData("\"C:x\"")]
    [InlineData("\"bin\\\\..\\\\..\\\\x\"")]
    public void BinPaths_AreHeldToTheOneRelativePathRule(string bin)
    {
        var ex = Assert.Throws<ManifestFormatException>(() => Read($"t:\n  version: \"1\"\n  url: https://e.test/x\n  sha256: {Sha}\n  bin: {bin}\n"));
        Assert.Contains("must be a relative path inside the installed tree", ex.Message);
    }

    [Theory]
    [InlineData("bin/tool")]
    [InlineData("./bin//tool")]
    [InlineData("tool")]
    public void BinPathsInsideTheTree_AreRead(string bin)
    {
        PinnedManifest m = Read($"t:\n  version: \"1\"\n  url: https://e.test/x\n  sha256: {Sha}\n  bin: {bin}\n");
        Assert.Equal(new[] { bin }, m.Tools[0].Versions[0].Artifacts[0].Executables);
    }

    [SkippableFact]
    public void ClaudedPinnedDownloadsYml_ReadsEveryVersion_AndRefusesTheUnpinnedEntries()
    {
        Skip.If(TestPaths.Corpus == null, "../shared/corpus is not present on this machine");
        PinnedManifest m = new ManifestReader().ReadFile(Path.Combine(TestPaths.Corpus!, "seeds", "clauded-downloads.with-sha256.yml"));
        Assert.Equal("clauded", m.Layout);

        PinnedTool go = m.Find("go")!;
        Assert.Equal("1.23.5", go.Resolve(null)!.Version);
        Assert.Equal("47c84d332d8b26206a7e1e3d7f2aa98fd31c53d9a025e8a7d2d9378c5f168d31", go.Resolve("1.23.5")!.Artifacts.Single().Sha256);
        Assert.Empty(go.Versions.SelectMany(v => v.Problems));

        PinnedTool node = m.Find("node")!;
        Assert.Equal("22.22.0", node.Resolve(null)!.Version);
        Assert.Equal("20.20.0", node.Resolve("20")!.Version);
        Assert.Equal("18.20.8", node.Resolve("18.20.8")!.Version);
        Assert.Equal("3.7.0", m.Find("dart")!.Resolve(null)!.Version);

        foreach (string unpinned in new[] { "alpine_image", "uv", "rustup" })
            Assert.Equal(ErrorIds.ManifestEntryUnpinned, m.Find(unpinned)!.Versions.Single().Problems.Single().ErrorId);

        // bun: the installer script is ignored in favour of the pinned binary (whose digest is a placeholder that can never match).
        PinnedArtifact bun = m.Find("bun")!.Versions.Single().ArtifactFor("linux-arm64")!;
        Assert.Equal("84f3a9e8f1c2b4b5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9", bun.Sha256);
    }

    [SkippableFact]
    public void ClaudedHeadWithoutHashes_RefusesEveryVersionOfEveryTool()
    {
        Skip.If(TestPaths.Corpus == null, "../shared/corpus is not present on this machine");
        PinnedManifest m = new ManifestReader().ReadFile(Path.Combine(TestPaths.Corpus!, "seeds", "clauded-downloads.head-no-hashes.yml"));
        Assert.All(m.Tools.SelectMany(t => t.Versions), v => Assert.NotEmpty(v.Problems));
    }

    private const string NpmIntegrity = "sha512-kPIj+ZLkyI3QaM0qX8V/nSsweYND3W448pwkDgS6CQ74MfhEkIR8ToK5Iyx46KJYRjseVcD3Rp9zAmUAj6ZjPw==";

    private static PinnedVersion WithPins(string pins) =>
        Read($"tools:\n  t:\n    versions:\n      \"1.0\":\n        url: https://e.test/t.tgz\n{pins}").Tools[0].Versions[0];

    [Fact]
    public void Integrity_Alone_PinsTheArtifact_WithTheAlgorithmFromItsPrefix()
    {
        PinnedVersion v = WithPins($"        integrity: {NpmIntegrity}\n");
        Assert.Empty(v.Problems);
        PinnedArtifact a = v.Artifacts.Single();
        Assert.True(a.IsPinned);
        Assert.Null(a.Sha256);
        Assert.Equal(SecureInstall.Core.Checksums.ChecksumAlgorithm.SHA512, a.Integrity!.Algorithm);
        Assert.StartsWith("90f223f9", a.Integrity.Digest);
        Assert.Equal(NpmIntegrity, a.IntegrityText);
        Assert.Equal(SecureInstall.Core.Checksums.ChecksumAlgorithm.SHA512, a.Expected("m.yml")!.Algorithm);
    }

    [Fact]
    public void Integrity_BesideSha256_IsCheckedToo_AsACompanion()
    {
        PinnedVersion v = WithPins($"        sha256: {Sha}\n        integrity: {NpmIntegrity}\n");
        Assert.Empty(v.Problems);
        var expected = v.Artifacts.Single().Expected("m.yml")!;
        Assert.Equal(SecureInstall.Core.Checksums.ChecksumAlgorithm.SHA512, expected.Algorithm);
        Assert.Equal(Sha, Assert.Single(expected.Companions).Digest);
    }

    [Theory]
    [InlineData("sha1-wsQ1uWQrPzYNwTXkdmRm5u3rI2Q=", "SHA1")]
    [InlineData("md5-rL0Y20zC+Fzt72VPzMSk2A==", "MD5")]
    [InlineData("sha512-kPIj+ZLkyI3QaM0qX8V/nSsweYND3W448pwkDgS6CQ74MfhEkIR8ToK5Iyx46KJYRjseVcD3Rp9zAmUAj6ZjPw== sha1-wsQ1uWQrPzYNwTXkdmRm5u3rI2Q=", "SHA1")]
    [InlineData("f0c641fce0310cb43208f4272dc1423153630e44ba8cdc0b5ce8466f724e0eed", "Subresource Integrity")]
    [InlineData("sha256:f0c641fce0310cb43208f4272dc1423153630e44ba8cdc0b5ce8466f724e0eed", "Subresource Integrity")]
    [InlineData("sha512-AAAA", "bytes")]
    [InlineData("whirlpool-AAAA", "unknown algorithm")]
    public void Integrity_ThatPinsNothing_IsManifestEntryUnpinned_NamingWhy(string value, string why)
    {
        PinnedVersion v = WithPins($"        integrity: \"{value}\"\n");
        ManifestRuleException p = Assert.Single(v.Problems);
        Assert.Equal(ErrorIds.ManifestEntryUnpinned, p.ErrorId);
        Assert.Contains(why, p.Message);
        Assert.Contains("m.yml", p.Message);
        Assert.False(v.Artifacts.Single().IsPinned);
    }

    [Fact]
    public void Integrity_ContradictingSha256_IsRefused_NotTheStrongerWins()
    {
        string otherSha256 = "sha256-" + Convert.ToBase64String(new byte[32]);
        PinnedVersion v = WithPins($"        sha256: {Sha}\n        integrity: \"{otherSha256} {NpmIntegrity}\"\n");
        ManifestRuleException p = Assert.Single(v.Problems);
        Assert.Equal(ErrorIds.ManifestEntryUnpinned, p.ErrorId);
        Assert.Contains("contradict", p.Message);
    }
}
