using System.Security.Cryptography;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.Install;
using SecureInstall.Core.Manifests;

namespace SecureInstall.Core.Tests.Install;

/// <summary>A manifest's Sigstore policy end to end through ToolInstaller, with a real public-good bundle from the
/// sigstore-conformance corpus (happy-path-v0.3-new-mediaType over a.txt), offline.</summary>
public sealed class SigstorePolicyInstallTests : IDisposable
{
    private const string Identity = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
    private const string Issuer = "https://token.actions.githubusercontent.com";
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string? Cases => TestPaths.Corpus is { } c ? Path.Combine(c, "sigstore-conformance", "test", "assets", "bundle-verify") : null;

    private string Manifest(string identity)
    {
        string artifact = Path.Combine(Cases!, "a.txt");
        string bundle = Path.Combine(Cases!, "happy-path-v0.3-new-mediaType", "bundle.sigstore.json");
        string sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(artifact)));
        return _dir.File("secureinstall.yml", $"""
            tools:
              a:
                signature:
                  scheme: sigstore
                  identity: "{identity}"
                  issuer: "{Issuer}"
                  bundle: "{new Uri(bundle).AbsoluteUri}"
                versions:
                  "1.0":
                    artifacts:
                      linux-x64:
                        url: {new Uri(artifact).AbsoluteUri}
                        sha256: {sha}
                        archive: binary
            """);
    }

    private async Task<InstallResult> Install(string manifestPath, string? source = null)
    {
        using var downloader = new VerifiedDownloader(new VerifiedDownloaderOptions { NoCache = true });
        var installer = new ToolInstaller(new ToolInstallerOptions { Root = Path.Combine(_dir.Path, "home"), Platform = "linux-x64", Source = source }, downloader);
        string lockPath = InstallLock.PathBeside(manifestPath);
        return await installer.InstallAsync(installer.Plan(new ManifestReader().ReadFile(manifestPath), InstallLock.Load(lockPath), "a", null), lockPath);
    }

    [SkippableFact]
    public async Task SigstorePolicy_VerifiesTheBundle_RecordsItInTheLock_AndReVerifiesOffline()
    {
        Skip.If(Cases == null, "../shared/corpus is not present on this machine");
        string manifest = Manifest(Identity);
        InstallResult r = await Install(manifest);
        Assert.Contains(r.VerifiedBy, v => v.Contains("Sigstore bundle"));

        LockEntry entry = InstallLock.Load(InstallLock.PathBeside(manifest)).Entries.Single();
        Assert.NotNull(entry.SigstoreBundle);
        Assert.Equal(Identity, entry.SignaturePolicy!["identity"]);
        Assert.NotNull(InstalledToolVerifier.VerifyRecordedSignature(entry));

        // A lock whose recorded digest was edited no longer matches the bundle.
        entry.Sha256 = new string('0', 64);
        Assert.ThrowsAny<SecureInstallException>(() => InstalledToolVerifier.VerifyRecordedSignature(entry));
    }

    [SkippableFact]
    public async Task SigstorePolicy_OfflineBundle_CarriesTheSigstoreBundle()
    {
        Skip.If(Cases == null, "../shared/corpus is not present on this machine");
        string manifest = Manifest(Identity);
        string bundle = Path.Combine(_dir.Path, "offline");
        using (var downloader = new VerifiedDownloader(new VerifiedDownloaderOptions { NoCache = true }))
            await new ToolBundle(downloader).SaveAsync(manifest, PinnedArtifactResolver.Select(new ManifestReader().ReadFile(manifest), Array.Empty<string>(), null, new[] { "linux-x64" }), bundle);
        Assert.Single(Directory.GetFiles(bundle, "bundle.sigstore.json", SearchOption.AllDirectories));
        InstallResult r = await Install(Path.Combine(bundle, "secureinstall.yml"), bundle);
        Assert.Contains(r.VerifiedBy, v => v.Contains("Sigstore bundle"));
    }

    [SkippableFact]
    public async Task SigstorePolicy_WrongIdentity_StopsTheInstall_AndPlacesNothing()
    {
        Skip.If(Cases == null, "../shared/corpus is not present on this machine");
        string manifest = Manifest("https://github.com/someone-else/repo/.github/workflows/release.yml@refs/heads/main");
        await Assert.ThrowsAnyAsync<SecureInstallException>(() => Install(manifest));
        Assert.False(Directory.Exists(Path.Combine(_dir.Path, "home", "tools", "a", "1.0")));
        Assert.False(File.Exists(InstallLock.PathBeside(manifest)));
    }

    [Fact]
    public void SigstorePolicy_WithoutIdentityOrKey_IsRefusedAtPlanTime()
    {
        string manifest = _dir.File("m.yml", $"tools:\n  a:\n    signature:\n      scheme: sigstore\n      issuer: {Issuer}\n    version: \"1\"\n    url: https://e.test/a\n    sha256: {new string('a', 64)}\n");
        using var downloader = new VerifiedDownloader(new VerifiedDownloaderOptions { NoCache = true });
        var installer = new ToolInstaller(new ToolInstallerOptions { Root = Path.Combine(_dir.Path, "home"), Platform = "linux-x64" }, downloader);
        Assert.Throws<SecureInstall.Core.Signatures.SignatureFormatException>(() => installer.Plan(new ManifestReader().ReadFile(manifest), new InstallLock(), "a", null));
    }
}
