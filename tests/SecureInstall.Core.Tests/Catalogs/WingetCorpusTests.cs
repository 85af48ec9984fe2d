using SecureInstall.Core.Catalogs;
using SecureInstall.Core.Catalogs.Aqua;
using SecureInstall.Core.Catalogs.Winget;
using SecureInstall.Core.Manifests;
using Xunit.Abstractions;

namespace SecureInstall.Core.Tests.Catalogs;

/// <summary>Every package version of ../shared/corpus/winget-pkgs (INDEX.md there), read in place.</summary>
public class WingetCorpusTests
{
    private readonly ITestOutputHelper _output;

    public WingetCorpusTests(ITestOutputHelper output) => _output = output;

    private static string? Checkout => TestPaths.Corpus is { } c && Directory.Exists(Path.Combine(c, "winget-pkgs")) ? Path.Combine(c, "winget-pkgs") : null;

    [SkippableFact]
    public void EveryPackageVersion_GivesWindowsEntriesPinnedByItsOwnSha256_OrANamedReason()
    {
        Skip.If(Checkout == null, "../shared/corpus/winget-pkgs is not present on this machine");
        int resolved = 0, refused = 0;
        var hostRefused = new List<string>();
        int installers = 0;
        foreach (string versionManifest in Directory.EnumerateFiles(Path.Combine(Checkout!, "manifests"), "*.yaml", SearchOption.AllDirectories)
                     .Where(f => !f.EndsWith(".installer.yaml", StringComparison.Ordinal) && !f.Contains(".locale.")).OrderBy(f => f, StringComparer.Ordinal))
        {
            string folder = Path.GetDirectoryName(versionManifest)!;
            string id = Path.GetFileNameWithoutExtension(versionManifest), version = Path.GetFileName(folder);
            Assert.Equal(Path.GetFullPath(Path.Combine(Checkout!, WingetResolver.RelativeFolderOf(id, version))), folder);
            string installerText = File.ReadAllText(Path.Combine(folder, id + ".installer.yaml"));
            try
            {
                CatalogResolution r = WingetResolver.ResolveFolder(folder, id, version, null);
                resolved++;
                Assert.Equal(Platforms.Known.Count, r.Artifacts.Count + r.Skipped.Count);
                foreach (CatalogArtifact a in r.Artifacts)
                {
                    Assert.StartsWith("windows-", a.Platform);
                    Assert.Equal("https", a.Url.Scheme);
                    // The pin is the manifest's own: the URL and its digest stand in the installer manifest as written.
                    Assert.Contains(a.Url.OriginalString, installerText);
                    Assert.Contains(a.Sha256!, installerText, StringComparison.OrdinalIgnoreCase);
                    if (a.Kind == ArtifactKind.Zip) Assert.NotEmpty(a.Executables);
                    if (a.Installer != null)
                    {
                        Assert.Contains(a.Installer.Type, PinnedInstaller.Types);
                        Assert.Equal(ArtifactKind.Binary, a.Kind);
                        Assert.Contains("InstallerType: " + a.Installer.Type, installerText, StringComparison.OrdinalIgnoreCase);
                        installers++;
                    }
                }
                _output.WriteLine($"{id} {version}: {string.Join(", ", r.Artifacts.Select(a => a.Platform + " " + (a.Installer?.Type ?? a.Kind.ToString())))}");
            }
            catch (CatalogException ex)
            {
                refused++;
                _output.WriteLine($"{id} {version}: {ex.ErrorId}: {ex.Reason}");
                if (ex.ErrorId == ErrorIds.CatalogDefinitionInvalid && ex.Reason.Contains("none of the manifest's own URLs names")) hostRefused.Add(id);
                else
                {
                    Assert.Equal(ErrorIds.CatalogDefinitionUnsupported, ex.ErrorId);
                    Assert.Contains("installer", ex.Reason);
                }
            }
        }
        _output.WriteLine($"{resolved} resolved ({installers} platform entries are setup programs), {refused} refused with a reason.");
        // The installer-host rule's refusals in the corpus, each a real package whose manifest does not name its download site:
        // dl.k8s.io (kubectl; the manifest names kubernetes.io and github.com/kubernetes), the.earth.li (PuTTY; only
        // chiark.greenend.org.uk), releases.hashicorp.com (Terraform; only github.com/hashicorp), github.com/ip7z (7-Zip; only
        // 7-zip.org), github.com/charmbracelet (gum; only charm.land).
        Assert.Equal(new[] { "7zip.7zip", "charmbracelet.gum", "Hashicorp.Terraform", "Kubernetes.kubectl", "PuTTY.PuTTY" }, hostRefused.OrderBy(h => h, StringComparer.OrdinalIgnoreCase));
        Assert.Equal(44, resolved + refused);
        Assert.True(resolved >= 35, $"only {resolved} winget packages resolved");
        Assert.True(installers >= 10, $"only {installers} setup programs pinned");
    }

    [Theory]
    [InlineData("http://example.org/t.zip", "AAAA", "bin\\t.exe", "only https")]
    [InlineData("https://example.org/t.zip", "1234", "bin\\t.exe", "not a SHA-256 digest")]
    [InlineData("https://example.org/t.zip", "AAAA", "..\\..\\evil.exe", "not a path inside the zip")]
    public void HostileManifest_IsRefused(string url, string sha, string nested, string reason)
    {
        if (sha == "AAAA") sha = new string('A', 64);
        string text = $"PackageIdentifier: A.B\nPackageVersion: \"1.0\"\nInstallerType: zip\nNestedInstallerType: portable\nNestedInstallerFiles:\n- RelativeFilePath: '{nested}'\nInstallers:\n"
            + $"- Architecture: x64\n  InstallerUrl: {url}\n  InstallerSha256: {sha}\nManifestType: installer\nManifestVersion: 1.12.0\n";
        CatalogException ex = Assert.Throws<CatalogException>(() => WingetResolver.Resolve(text, "A.B.installer.yaml", "A.B", "1.0", null, new[] { new Uri("https://example.org/") }));
        Assert.Equal(ErrorIds.CatalogDefinitionInvalid, ex.ErrorId);
        Assert.Contains(reason, ex.Message);
    }

    private static string PortableManifest(string url) =>
        $"PackageIdentifier: A.B\nPackageVersion: \"1.0\"\nInstallerType: portable\nInstallers:\n- Architecture: x64\n  InstallerUrl: {url}\n  InstallerSha256: {new string('A', 64)}\n"
        + "ManifestType: installer\nManifestVersion: 1.12.0\n";

    [Theory]
    [InlineData("https://evil.example.net/b.exe", "https://b.example.org/", "is on example.net")]
    [InlineData("https://github.com/attacker/b/releases/download/v1/b.exe", "https://github.com/owner/b", "is on github.com/attacker")]
    [InlineData("https://github.com/attacker/b/releases/download/v1/b.exe", "https://owner.example.org/", "is on github.com/attacker")]
    [InlineData("https://example.org.evil.net/b.exe", "https://example.org/", "is on evil.net")]
    [InlineData("https://attacker.github.io/b.exe", "https://owner.github.io/b", "is on attacker.github.io")]
    public void InstallerUrl_OnAnotherSiteThanTheManifestNames_IsRefused(string installer, string site, string reason)
    {
        CatalogException ex = Assert.Throws<CatalogException>(() => WingetResolver.Resolve(PortableManifest(installer), "A.B.installer.yaml", "A.B", "1.0", null, new[] { new Uri(site) }));
        Assert.Equal(ErrorIds.CatalogDefinitionInvalid, ex.ErrorId);
        Assert.Contains(reason, ex.Reason);
        Assert.Contains("none of the manifest's own URLs names", ex.Reason);
    }

    [Fact]
    public void InstallerManifest_WithoutTheURLsOfItsLocale_IsRefused_ForNothingToCheckTheHostAgainst()
    {
        CatalogException ex = Assert.Throws<CatalogException>(() => WingetResolver.Resolve(PortableManifest("https://example.org/b.exe"), "A.B.installer.yaml", "A.B", "1.0", null));
        Assert.Equal(ErrorIds.CatalogDefinitionInvalid, ex.ErrorId);
        Assert.Contains("names no PackageUrl or PublisherUrl", ex.Reason);
    }

    [Theory]
    [InlineData("https://dist.nuget.org/win-x86-commandline/v7.9.0/nuget.exe", "https://www.nuget.org/")]
    [InlineData("https://download.visualstudio.microsoft.com/download/pr/x/VC_redist.x64.exe", "https://www.microsoft.com/")]
    [InlineData("https://github.com/Cli/cli/releases/download/v2/gh.zip", "https://github.com/cli/cli/blob/HEAD/LICENSE")]
    [InlineData("https://downloads.example.co.uk/b.exe", "https://www.example.co.uk/")]
    public void InstallerUrl_OnTheManifestsSite_IsPinned(string installer, string site)
    {
        CatalogResolution r = WingetResolver.Resolve(PortableManifest(installer), "A.B.installer.yaml", "A.B", "1.0", null, new[] { new Uri(site) });
        Assert.Equal(installer, Assert.Single(r.Artifacts).Url.AbsoluteUri);
    }

    [Fact]
    public void Singleton_ChecksTheInstallerHostAgainstItsOwnURLs()
    {
        string text = PortableManifest("https://evil.example.net/b.exe").Replace("ManifestType: installer", "ManifestType: singleton") + "PackageUrl: https://b.example.org/\n";
        CatalogException ex = Assert.Throws<CatalogException>(() => WingetResolver.Resolve(text, "A.B.yaml", "A.B", "1.0", null));
        Assert.Contains("https://b.example.org", ex.Reason);
        CatalogResolution ok = WingetResolver.Resolve(text.Replace("evil.example.net", "dl.example.org"), "A.B.yaml", "A.B", "1.0", null);
        Assert.Single(ok.Artifacts);
    }
}
