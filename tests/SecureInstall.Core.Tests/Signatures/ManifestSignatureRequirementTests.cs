using System.Security.Cryptography;
using System.Text;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.Install;
using SecureInstall.Core.Manifests;
using SecureInstall.Core.Signatures;

namespace SecureInstall.Core.Tests.Signatures;

/// <summary>A manifest's signature policy, end to end through ToolInstaller with file: URLs (no network).</summary>
public sealed class ManifestSignatureRequirementTests : IDisposable
{
    private static readonly byte[] Tool = Encoding.ASCII.GetBytes("#!/bin/sh\necho hello 1.0\n");
    private readonly TempDir _dir = new();
    private readonly MinisignTestKey _key = MinisignTestKey.Create();

    public void Dispose() => _dir.Dispose();

    private string Manifest(string signatureBlock, bool pinSha = true)
    {
        File.WriteAllBytes(Path.Combine(_dir.Path, "hello"), Tool);
        string sha = Convert.ToHexStringLower(SHA256.HashData(Tool));
        return _dir.File("secureinstall.yml", $$"""
            tools:
              hello:
            {{signatureBlock}}
                versions:
                  "1.0":
                    artifacts:
                      linux-x64:
                        url: ./hello
            {{(pinSha ? "            sha256: " + sha : "            waiver: \"the minisign signature vouches for it\"")}}
                        archive: binary
            """);
    }

    private string MinisignBlock(string? url = null) =>
        $"    signature:\n      scheme: minisign\n      key: {_key.PublicKeyBase64}\n" + (url == null ? "" : $"      url: \"{url}\"\n");

    private async Task<InstallResult> Install(string manifestPath, string? source = null)
    {
        var options = new ToolInstallerOptions { Root = Path.Combine(_dir.Path, "home"), Platform = "linux-x64", Source = source };
        using var downloader = new VerifiedDownloader(new VerifiedDownloaderOptions { NoCache = true });
        var installer = new ToolInstaller(options, downloader);
        PinnedManifest manifest = new ManifestReader().ReadFile(manifestPath);
        string lockPath = InstallLock.PathBeside(manifestPath);
        InstallPlan plan = installer.Plan(manifest, InstallLock.Load(lockPath), "hello", null);
        return await installer.InstallAsync(plan, lockPath);
    }

    [Fact]
    public async Task MinisignPolicy_OfflineBundle_KeepsTheSignature_AndTheAirGappedInstallChecksIt()
    {
        string manifest = Manifest(MinisignBlock());
        _dir.File("hello.minisig", _key.Sign(Tool, "timestamp:1700000000\tfile:hello", prehashed: true));
        string bundle = Path.Combine(_dir.Path, "bundle");
        using (var downloader = new VerifiedDownloader(new VerifiedDownloaderOptions { NoCache = true }))
        {
            PinnedManifest m = new ManifestReader().ReadFile(manifest);
            await new ToolBundle(downloader).SaveAsync(manifest, PinnedArtifactResolver.Select(m, Array.Empty<string>(), null, new[] { "linux-x64" }), bundle);
        }
        File.Delete(Path.Combine(_dir.Path, "hello"));
        File.Delete(Path.Combine(_dir.Path, "hello.minisig"));

        InstallResult r = await Install(Path.Combine(bundle, "secureinstall.yml"), bundle);
        Assert.Contains(_key.KeyId, r.VerifiedBy[1]);

        // A bundle whose signature was removed (or never saved) does not install: the policy still applies offline.
        Directory.Delete(Path.Combine(_dir.Path, "home"), recursive: true);
        File.Delete(Path.Combine(bundle, InstallLock.FileName));
        foreach (string sig in Directory.GetFiles(bundle, "*.minisig", SearchOption.AllDirectories)) File.Delete(sig);
        var ex = await Assert.ThrowsAsync<InstallException>(() => Install(Path.Combine(bundle, "secureinstall.yml"), bundle));
        Assert.Equal(ErrorIds.SignatureNotFound, ex.ErrorId);
    }

    [Fact]
    public async Task MinisignPolicy_TheLockNamesTheSignatureAsTheManifestDoes_OnlineAndFromABundleAlike()
    {
        // Issue 20: the lock travels, so it names the signature relative to the manifest, not where this machine read it.
        string manifest = Manifest(MinisignBlock());
        _dir.File("hello.minisig", _key.Sign(Tool, "timestamp:1700000000\tfile:hello", prehashed: true));
        InstallResult online = await Install(manifest);
        Assert.StartsWith("Minisign signature ./hello.minisig, key ", online.VerifiedBy[1]);
        Assert.DoesNotContain(_dir.Path, File.ReadAllText(InstallLock.PathBeside(manifest)));

        string bundle = Path.Combine(_dir.Path, "bundle");
        using (var downloader = new VerifiedDownloader(new VerifiedDownloaderOptions { NoCache = true }))
        {
            PinnedManifest m = new ManifestReader().ReadFile(manifest);
            await new ToolBundle(downloader).SaveAsync(manifest, PinnedArtifactResolver.Select(m, Array.Empty<string>(), null, new[] { "linux-x64" }), bundle);
        }
        Directory.Delete(Path.Combine(_dir.Path, "home"), recursive: true);
        InstallResult offline = await Install(Path.Combine(bundle, "secureinstall.yml"), bundle);
        Assert.Equal(online.VerifiedBy, offline.VerifiedBy);
        Assert.Equal(File.ReadAllText(InstallLock.PathBeside(manifest)), File.ReadAllText(Path.Combine(bundle, InstallLock.FileName)));
    }

    [Fact]
    public async Task MinisignPolicy_GoodSignature_Installs_AndTheLockRecordsTheSignature()
    {
        string manifest = Manifest(MinisignBlock());
        _dir.File("hello.minisig", _key.Sign(Tool, "timestamp:1700000000\tfile:hello", prehashed: true));
        InstallResult r = await Install(manifest);
        Assert.Equal(2, r.VerifiedBy.Count);
        Assert.Contains("Minisign signature", r.VerifiedBy[1]);
        Assert.Contains(_key.KeyId, r.VerifiedBy[1]);
        Assert.Contains(_key.KeyId, File.ReadAllText(InstallLock.PathBeside(manifest)));
    }

    [Fact]
    public async Task MinisignPolicy_SignatureByAnotherKey_StopsTheInstall()
    {
        string manifest = Manifest(MinisignBlock());
        _dir.File("hello.minisig", MinisignTestKey.Create().Sign(Tool, "t", prehashed: true));
        await Assert.ThrowsAsync<SignerNotTrustedException>(() => Install(manifest));
        Assert.False(Directory.Exists(Path.Combine(_dir.Path, "home", "hello", "1.0")));
        Assert.False(File.Exists(InstallLock.PathBeside(manifest)));
    }

    [Fact]
    public async Task MinisignPolicy_MissingSignature_StopsTheInstall()
    {
        string manifest = Manifest(MinisignBlock());
        await Assert.ThrowsAnyAsync<SecureInstallException>(() => Install(manifest));
        Assert.False(Directory.Exists(Path.Combine(_dir.Path, "home", "hello", "1.0")));
    }

    [Fact]
    public async Task UrlPattern_WithFileAndVersion_IsResolvedAgainstTheArtifact()
    {
        string manifest = Manifest(MinisignBlock("sigs/{file}-{version}.minisig"));
        _dir.File("sigs/hello-1.0.minisig", _key.Sign(Tool, "t", prehashed: true));
        Assert.Equal(2, (await Install(manifest)).VerifiedBy.Count);
    }

    [Fact]
    public async Task OpenPgpPolicy_WithKeyFileBesideTheManifest_AndFingerprintPin_Installs()
    {
        var pgp = PgpTestKey.Create(withSubkey: true);
        File.WriteAllBytes(Path.Combine(_dir.Path, "release-key.asc"), pgp.PublicKeyFile());
        File.WriteAllBytes(Path.Combine(_dir.Path, "hello.sig"), pgp.Sign(Tool));
        string manifest = Manifest($"    signature:\n      scheme: openpgp\n      key: release-key.asc\n      fingerprint: {pgp.Fingerprint}\n      url: \"{{url}}.sig\"\n");
        InstallResult r = await Install(manifest);
        Assert.Contains(pgp.Fingerprint, r.VerifiedBy[1]);
    }

    [Fact]
    public async Task SignatureAlone_VouchesForAWaivedDigest()
    {
        string manifest = Manifest(MinisignBlock(), pinSha: false);
        _dir.File("hello.minisig", _key.Sign(Tool, "t", prehashed: true));
        InstallResult r = await Install(manifest);
        Assert.Contains("Minisign signature", Assert.Single(r.VerifiedBy));
    }

    [Theory]
    [InlineData("    signature:\n      scheme: minisign\n", typeof(SignatureFormatException))]
    // sigstore is enforceable since main 15455dc: a sigstore block without a bundle URL or identity is malformed, still fail closed
    [InlineData("    signature:\n      scheme: sigstore\n      key: x\n", typeof(SignatureFormatException))]
    [InlineData("    signature:\n      scheme: openpgp\n      key: absent.asc\n      url: \"{url}.sig\"\n", typeof(PublicKeyFormatException))]
    public async Task UnenforceablePolicy_FailsClosed(string block, Type expected)
    {
        string manifest = Manifest(block);
        Exception ex = await Assert.ThrowsAnyAsync<SecureInstallException>(() => Install(manifest));
        Assert.IsType(expected, ex);
    }
}
