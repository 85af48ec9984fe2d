using SecureInstall.Core.Checksums;
using SecureInstall.Core.Manifests;

namespace SecureInstall.Core.Tests.Manifests;

public class ManifestUpdaterTests
{
    private static readonly string OldLinux = new('1', 64), OldWin = new('2', 64), NewLinux = new('3', 64), NewWin = new('4', 64);

    private const string Manifest = """
        # Tools for the build.
        tools:
          tool:
            default_version: "1.2.0"   # keep in step with CI
            checksums_url: https://e.test/tool/{version}/SHA256SUMS
            versions:
              # the current release
              "1.2.0":
                artifacts:
                  linux-x64:
                    url: https://e.test/tool/1.2.0/tool-1.2.0-linux-x64.tar.gz
                    sha256: 1111111111111111111111111111111111111111111111111111111111111111
                  windows-x64:
                    url: https://e.test/tool/1.2.0/tool-1.2.0-windows-x64.zip
                    sha256: 2222222222222222222222222222222222222222222222222222222222222222
          other:
            version: "9"
            url: https://e.test/other-9.zip
            sha256: 5555555555555555555555555555555555555555555555555555555555555555
        """;

    private static ChecksumList List(string version, string linux, string win) => new ChecksumListParser().Parse(
        $"{linux}  tool-{version}-linux-x64.tar.gz\n{win}  tool-{version}-windows-x64.zip\n{new string('9', 64)}  tool-{version}-darwin-arm64.tar.gz\n", "SHA256SUMS");

    [Fact]
    public void AddVersion_CopiesTheDefaultBlock_WithNewVersionAndDigests_KeepingComments()
    {
        ManifestUpdate u = ManifestUpdater.AddVersion(Manifest, "m.yml", null, "tool", "1.3.0", List("1.3.0", NewLinux, NewWin), false, null, setDefault: false);
        Assert.Equal("added", u.Change);
        Assert.Contains("# keep in step with CI", u.Text);
        Assert.Contains("# the current release", u.Text);
        PinnedTool tool = new ManifestReader().Read(new StringReader(u.Text), "m.yml").Find("tool")!;
        Assert.Equal("1.2.0", tool.DefaultVersion);
        PinnedVersion v = tool.Resolve("1.3.0")!;
        Assert.Equal(NewLinux, v.ArtifactFor("linux-x64")!.Sha256);
        Assert.Equal("https://e.test/tool/1.3.0/tool-1.3.0-windows-x64.zip", v.ArtifactFor("windows-x64")!.Url.AbsoluteUri);
        Assert.Equal(OldLinux, tool.Resolve("1.2.0")!.ArtifactFor("linux-x64")!.Sha256);
        Assert.NotNull(new ManifestReader().Read(new StringReader(u.Text), "m.yml").Find("other"));
    }

    [Fact]
    public void AddVersion_WithSetDefault_MovesDefaultVersion()
    {
        ManifestUpdate u = ManifestUpdater.AddVersion(Manifest, "m.yml", null, "tool", "1.3.0", List("1.3.0", NewLinux, NewWin), false, null, setDefault: true);
        Assert.Equal("1.3.0", new ManifestReader().Read(new StringReader(u.Text), "m.yml").Find("tool")!.DefaultVersion);
        Assert.Contains("default_version: \"1.3.0\"   # keep in step with CI", u.Text);
    }

    [Fact]
    public void SameVersionWithSameDigests_IsUnchanged()
    {
        Assert.Equal("unchanged", ManifestUpdater.AddVersion(Manifest, "m.yml", null, "tool", "1.2.0", List("1.2.0", OldLinux, OldWin), false, null, false).Change);
    }

    [Fact]
    public void PinnedVersionWithNewDigest_IsRefused_UnlessForcedWithReason_WhichIsRecorded()
    {
        ChecksumList reuploaded = List("1.2.0", NewLinux, OldWin);
        var ex = Assert.Throws<PinnedDigestChangedException>(() => ManifestUpdater.AddVersion(Manifest, "m.yml", null, "tool", "1.2.0", reuploaded, false, null, false));
        Assert.Equal(ErrorIds.PinnedDigestChanged, ex.ErrorId);
        Assert.Throws<PinnedDigestChangedException>(() => ManifestUpdater.AddVersion(Manifest, "m.yml", null, "tool", "1.2.0", reuploaded, true, null, false));

        ManifestUpdate u = ManifestUpdater.AddVersion(Manifest, "m.yml", null, "tool", "1.2.0", reuploaded, true, "upstream rebuilt after CVE-2026-1", false);
        Assert.Equal("re-pinned", u.Change);
        Assert.Contains("upstream rebuilt after CVE-2026-1", u.Text);
        Assert.Equal(NewLinux, new ManifestReader().Read(new StringReader(u.Text), "m.yml").Find("tool")!.Resolve("1.2.0")!.ArtifactFor("linux-x64")!.Sha256);
    }

    [Fact]
    public void ManifestWithoutFinalLineBreak_GetsAWellFormedNewBlock()
    {
        string noFinalNewline = $"tools:\n  tool:\n    versions:\n      \"1.2.0\":\n        url: https://e.test/tool-1.2.0-linux-x64.tar.gz\n        sha256: {OldLinux}";
        ChecksumList list = new ChecksumListParser().Parse($"{NewLinux}  tool-1.3.0-linux-x64.tar.gz\n", "SHA256SUMS");
        ManifestUpdate u = ManifestUpdater.AddVersion(noFinalNewline, "m.yml", null, "tool", "1.3.0", list, false, null, false);
        PinnedTool tool = new ManifestReader().Read(new StringReader(u.Text), "m.yml").Find("tool")!;
        Assert.Equal(OldLinux, tool.Resolve("1.2.0")!.Artifacts[0].Sha256);
        Assert.Equal(NewLinux, tool.Resolve("1.3.0")!.Artifacts[0].Sha256);
    }

    [Fact]
    public void ArtifactMissingFromThePublishersList_IsChecksumNotFound()
    {
        ChecksumList partial = new ChecksumListParser().Parse($"{NewLinux}  tool-1.3.0-linux-x64.tar.gz\n", "SHA256SUMS");
        Assert.Throws<ChecksumNotFoundException>(() => ManifestUpdater.AddVersion(Manifest, "m.yml", null, "tool", "1.3.0", partial, false, null, false));
    }

    [Fact]
    public void AddVersion_FromATemplateWithIntegrity_DropsTheOldBytesIntegrity_FromTheNewBlockOnly()
    {
        // integrity: pins the template version's bytes; copied into the new version it would contradict the new sha256.
        string sri = "sha512-" + Convert.ToBase64String(new byte[64]);
        string manifest = Manifest.Replace("sha256: 1111111111111111111111111111111111111111111111111111111111111111",
            $"sha256: 1111111111111111111111111111111111111111111111111111111111111111\n            integrity: {sri}");
        Assert.Empty(new ManifestReader().Read(new StringReader(manifest), "m.yml").Find("tool")!.Resolve("1.2.0")!.Problems);

        ManifestUpdate u = ManifestUpdater.AddVersion(manifest, "m.yml", null, "tool", "1.3.0", List("1.3.0", NewLinux, NewWin), false, null, setDefault: false);

        PinnedTool tool = new ManifestReader().Read(new StringReader(u.Text), "m.yml").Find("tool")!;
        PinnedArtifact added = tool.Resolve("1.3.0")!.ArtifactFor("linux-x64")!;
        Assert.Equal(NewLinux, added.Sha256);
        Assert.Null(added.Integrity);
        Assert.Equal(sri, tool.Resolve("1.2.0")!.ArtifactFor("linux-x64")!.IntegrityText);
    }

    [Fact]
    public void AddVersion_ForAToolTheManifestDoesNotPin_IsToolNotInManifest_NamingTheToolsItPins_AsInstallAndSaveSayIt()
    {
        var ex = Assert.Throws<SecureInstall.Core.Install.InstallException>(() =>
            ManifestUpdater.AddVersion(Manifest, "m.yml", null, "nope", "1.3.0", List("1.3.0", NewLinux, NewWin), false, null, setDefault: false));
        Assert.Equal(ErrorIds.ToolNotInManifest, ex.ErrorId);
        Assert.Equal("m.yml pins no tool named 'nope' (it pins tool, other).", ex.Message);
    }

    [Fact]
    public void SameVersionWithSameDigests_AndAnIntegrityPin_IsUnchanged_NotRefused()
    {
        string sri = "sha512-" + Convert.ToBase64String(new byte[64]);
        string manifest = Manifest.Replace("sha256: 1111111111111111111111111111111111111111111111111111111111111111",
            $"sha256: 1111111111111111111111111111111111111111111111111111111111111111\n            integrity: {sri}");
        ManifestUpdate u = ManifestUpdater.AddVersion(manifest, "m.yml", null, "tool", "1.2.0", List("1.2.0", OldLinux, OldWin), false, null, setDefault: false);
        Assert.Equal("unchanged", u.Change);
        Assert.Equal(manifest, u.Text);
    }

    [Fact]
    public void AddVersion_FromATemplatePinnedByIntegrityAlone_IsRefusedSayingWhy()
    {
        string sri = "sha512-" + Convert.ToBase64String(new byte[64]);
        string manifest = Manifest.Replace("sha256: 1111111111111111111111111111111111111111111111111111111111111111", $"integrity: {sri}");
        var ex = Assert.Throws<ManifestFormatException>(() =>
            ManifestUpdater.AddVersion(manifest, "m.yml", null, "tool", "1.3.0", List("1.3.0", NewLinux, NewWin), false, null, setDefault: false));
        Assert.Contains("integrity: alone", ex.Message);
    }
}
