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
                }
                _output.WriteLine($"{id} {version}: {string.Join(", ", r.Artifacts.Select(a => a.Platform + " " + a.Kind))}");
            }
            catch (CatalogException ex)
            {
                refused++;
                Assert.Equal(ErrorIds.CatalogDefinitionUnsupported, ex.ErrorId);
                Assert.Contains("installer", ex.Reason);
                _output.WriteLine($"{id} {version}: {ex.Reason}");
            }
        }
        _output.WriteLine($"{resolved} resolved, {refused} refused with a reason.");
        Assert.Equal(44, resolved + refused);
        Assert.True(resolved >= 25, $"only {resolved} winget packages resolved");
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
        CatalogException ex = Assert.Throws<CatalogException>(() => WingetResolver.Resolve(text, "A.B.installer.yaml", "A.B", "1.0", null));
        Assert.Equal(ErrorIds.CatalogDefinitionInvalid, ex.ErrorId);
        Assert.Contains(reason, ex.Message);
    }
}
