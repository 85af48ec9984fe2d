using SecureInstall.Core.Archives;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.Install;
using SecureInstall.Core.Manifests;

namespace SecureInstall.Core.Tests.Install;

/// <summary>
/// Issue 18 §1/§2: a manifest pins an artifact by its Subresource Integrity value alone (as npm lock files do), and an npm
/// provenance bundle (whose in-toto subject names the tarball by sha512 only) vouches for it through the manifest's
/// github-attestation policy. Real data: sigstore@2.1.0 from the npm registry and its provenance
/// (tests/fixtures/sigstore/npm-sigstore-2.1.0, sources in its README), verified offline with the shipped public-good root.
/// </summary>
public sealed class IntegrityPinInstallTests : IDisposable
{
    private const string Integrity = "sha512-kPIj+ZLkyI3QaM0qX8V/nSsweYND3W448pwkDgS6CQ74MfhEkIR8ToK5Iyx46KJYRjseVcD3Rp9zAmUAj6ZjPw==";
    private const string Sha256 = "f0c641fce0310cb43208f4272dc1423153630e44ba8cdc0b5ce8466f724e0eed";
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string Fixture(string name) => Path.Combine(TestPaths.RepositoryRoot, "tests", "fixtures", "sigstore", "npm-sigstore-2.1.0", name);

    private string Root => Path.Combine(_dir.Path, "home");

    private string Manifest(string repository = "sigstore/sigstore-js", string integrity = Integrity, string? tarball = null, string extraPin = "", bool signed = true, string? bundle = null) =>
        _dir.File("secureinstall.yml", $"""
            tools:
              sigstore:
            {(signed ? $"    signature:\n      scheme: github-attestation\n      repository: {repository}\n      bundle: \"{new Uri(bundle ?? Fixture("sigstore-2.1.0.sigstore.json")).AbsoluteUri}\"\n" : "")}    versions:
                  "2.1.0":
                    artifacts:
                      linux-x64:
                        url: {new Uri(tarball ?? Fixture("sigstore-2.1.0.tgz")).AbsoluteUri}
                        integrity: "{integrity}"
            {extraPin}            archive: tar.gz
                        strip_components: 1
            """);

    private async Task<InstallResult> Install(string manifestPath, string? source = null, bool locked = false)
    {
        using var downloader = new VerifiedDownloader(new VerifiedDownloaderOptions { NoCache = true });
        var installer = new ToolInstaller(new ToolInstallerOptions { Root = Root, Platform = "linux-x64", Source = source, Locked = locked }, downloader);
        string lockPath = InstallLock.PathBeside(manifestPath);
        return await installer.InstallAsync(installer.Plan(new ManifestReader().ReadFile(manifestPath), InstallLock.Load(lockPath), "sigstore", null), lockPath);
    }

    private string VersionDir => Path.Combine(Root, "sigstore", "2.1.0");

    [Fact]
    public async Task NpmProvenance_PinnedByIntegrityAlone_Installs_LocksTheIntegrity_AndReVerifiesOffline()
    {
        string manifest = Manifest();
        InstallResult r = await Install(manifest);

        Assert.Equal(InstallStatus.Installed, r.Status);
        Assert.True(File.Exists(Path.Combine(VersionDir, "package.json")));
        Assert.Equal(Sha256, r.Sha256);
        Assert.Contains(r.VerifiedBy, v => v.StartsWith("sha512 (integrity) pinned in", StringComparison.Ordinal));
        Assert.Contains(r.VerifiedBy, v => v.Contains("sigstore/sigstore-js") && v.Contains("release.yml"));
        LockEntry entry = InstallLock.Load(InstallLock.PathBeside(manifest)).Entries.Single();
        Assert.Equal(Integrity, entry.Integrity);
        Assert.Equal(Sha256, entry.Sha256);
        Assert.NotNull(InstalledToolVerifier.VerifyRecordedSignature(entry));

        // The same pin again: verified against the lock, nothing fetched.
        Assert.Equal(InstallStatus.AlreadyInstalled, (await Install(manifest)).Status);
    }

    [Fact]
    public async Task NpmProvenance_ForAnotherRepository_IsSignerNotTrusted_AndNothingIsInstalled()
    {
        string manifest = Manifest(repository: "sigstore/cosign");
        var ex = await Assert.ThrowsAnyAsync<SecureInstallException>(() => Install(manifest));
        Assert.Equal(ErrorIds.SignerNotTrusted, ex.ErrorId);
        Assert.False(Directory.Exists(VersionDir));
        Assert.False(File.Exists(InstallLock.PathBeside(manifest)));
    }

    [Fact]
    public async Task TamperedTarball_UnderTheSameIntegrity_IsChecksumMismatch_AndNothingIsInstalled()
    {
        byte[] bytes = File.ReadAllBytes(Fixture("sigstore-2.1.0.tgz"));
        bytes[1000] ^= 1;
        string tampered = Path.Combine(_dir.Path, "evil", "sigstore-2.1.0.tgz");
        Directory.CreateDirectory(Path.GetDirectoryName(tampered)!);
        File.WriteAllBytes(tampered, bytes);
        string manifest = Manifest(tarball: tampered);

        var ex = await Assert.ThrowsAnyAsync<SecureInstallException>(() => Install(manifest));
        Assert.Equal(ErrorIds.ChecksumMismatch, ex.ErrorId);
        Assert.Contains("SHA512", ex.Message);
        Assert.False(Directory.Exists(VersionDir));
    }

    [Fact]
    public async Task IntegrityAndSha256_BothPinned_AnyDisagreementIsAMismatch()
    {
        // The sha256: is right, the integrity's sha512 is another file's: the stronger does not win, the install fails.
        string other = "sha512-" + Convert.ToBase64String(new byte[64]);
        string manifest = Manifest(integrity: other, extraPin: $"            sha256: {Sha256}\n", signed: false);
        var ex = await Assert.ThrowsAnyAsync<SecureInstallException>(() => Install(manifest));
        Assert.Equal(ErrorIds.ChecksumMismatch, ex.ErrorId);
        Assert.False(Directory.Exists(VersionDir));
    }

    [Fact]
    public async Task Locked_WithTheManifestsIntegrityChanged_IsLockMismatch()
    {
        string manifest = Manifest();
        await Install(manifest);
        string lockBefore = File.ReadAllText(InstallLock.PathBeside(manifest));
        string edited = Manifest(integrity: "sha512-" + Convert.ToBase64String(new byte[64]));

        var ex = await Assert.ThrowsAnyAsync<SecureInstallException>(() => Install(edited, locked: true));
        Assert.Equal(ErrorIds.LockMismatch, ex.ErrorId);
        Assert.Contains("integrity", ex.Message);
        Assert.Equal(lockBefore, File.ReadAllText(InstallLock.PathBeside(manifest)));
    }

    [Fact]
    public async Task SavedBundle_KeysTheArtifactByItsSha512_AndInstallsOffline()
    {
        string manifest = Manifest();
        string bundle = Path.Combine(_dir.Path, "offline");
        using (var downloader = new VerifiedDownloader(new VerifiedDownloaderOptions { NoCache = true }))
            await new ToolBundle(downloader).SaveAsync(manifest, PinnedArtifactResolver.Select(new ManifestReader().ReadFile(manifest), Array.Empty<string>(), null, new[] { "linux-x64" }), bundle);

        string folder = Assert.Single(Directory.GetDirectories(Path.Combine(bundle, BundleLayout.ArtifactsFolder)));
        Assert.Equal("sha512-90f223f9", Path.GetFileName(folder).Substring(0, 15));
        Assert.True(File.Exists(Path.Combine(folder, "sigstore-2.1.0.tgz")));
        Assert.True(File.Exists(Path.Combine(folder, "sigstore-2.1.0.sigstore.json")));

        InstallResult r = await Install(Path.Combine(bundle, "secureinstall.yml"), bundle);
        Assert.Equal(InstallStatus.Installed, r.Status);
        Assert.Contains(r.VerifiedBy, v => v.Contains("sigstore/sigstore-js"));
    }

    [Fact]
    public async Task ABundleLargerThanAnySigstoreBundle_IsRefusedBeforeItIsRead_AndNothingIsInstalled()
    {
        // 5 MiB of JSON-looking bytes: the cap (4 MiB) is checked on the size before reading, not after an 8 GiB download.
        string huge = Path.Combine(_dir.Path, "huge.sigstore.json");
        File.WriteAllBytes(huge, System.Text.Encoding.ASCII.GetBytes("{\"a\":\"" + new string('x', 5 * 1024 * 1024) + "\"}"));
        string manifest = Manifest(bundle: huge);
        var ex = await Assert.ThrowsAnyAsync<SecureInstallException>(() => Install(manifest));
        Assert.Equal(ErrorIds.SizeLimitExceeded, ex.ErrorId);
        Assert.False(Directory.Exists(VersionDir));
    }

    [Theory]
    [InlineData("f0c641fce0310cb43208f4272dc1423153630e44ba8cdc0b5ce8466f724e0eed", "Subresource Integrity")]
    [InlineData("sha1-wsQ1uWQrPzYNwTXkdmRm5u3rI2Q=", "SHA1")]
    [InlineData("sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "contradict")]
    public async Task ALockWhoseIntegrityIsNotSri_OrContradictsItsSha256_IsLockInvalid(string integrity, string why)
    {
        string manifest = Manifest();
        await Install(manifest);
        string lockPath = InstallLock.PathBeside(manifest);
        string text = File.ReadAllText(lockPath);
        string written = Integrity;   // '+' as it is (CanonicalJson), not System.Text.Json's default \u002B
        Assert.Contains(written, text);
        File.WriteAllText(lockPath, text.Replace(written, integrity));
        var ex = Assert.Throws<LockFormatException>(() => InstallLock.Load(lockPath));
        Assert.Equal(ErrorIds.LockInvalid, ex.ErrorId);
        Assert.Contains(why, ex.Message);
    }

    [Fact]
    public void BesideArtifact_RefusesANameThatIsNotOnePlainFileName()
    {
        // A manifest's signature url ending in ..%2F..%2Fpwned.txt decodes to a name that would leave the bundle.
        var layout = new BundleLayout(Path.Combine(_dir.Path, "bundle"));
        PinnedArtifact artifact = new ManifestReader().ReadFile(Manifest()).Tools[0].Versions[0].Artifacts[0];
        var signature = new Uri("https://evil.test/s/..%2F..%2F..%2Fpwned.txt");
        string decoded = Uri.UnescapeDataString(signature.Segments[^1]);
        Assert.Equal("../../../pwned.txt", decoded);
        foreach (string name in new[] { decoded, "..", ".", "", "a\\b", "c:x", "sigstore-2.1.0.tgz" })
        {
            var ex = Assert.Throws<InstallException>(() => layout.BesideArtifact(artifact, name));
            Assert.Equal(ErrorIds.ManifestInvalid, ex.ErrorId);
        }
        Assert.Equal(Path.Combine(Path.GetDirectoryName(layout.ArtifactPath(artifact))!, "sigstore-2.1.0.tgz.minisig"), layout.BesideArtifact(artifact, "sigstore-2.1.0.tgz.minisig"));
    }

    [Fact]
    public void ExtractionOptions_Clone_CarriesEverySetting()
    {
        // Every settable property gets a non-default value; a setting added later that Clone dropped would fail here.
        var options = new ArchiveExtractionOptions
        {
            MaxTotalBytes = 7, MaxEntryCount = 8, MaxCompressionRatio = 9, MaxDepth = 10, StripComponents = 2, Overwrite = true, DecodePercentEscapes = true,
            Include = new List<string> { "bin/*" },
            ExpectedDigest = SecureInstall.Core.Checksums.ChecksumEntry.FromDigest(Sha256, null, "test"),
        };
        foreach (var p in typeof(ArchiveExtractionOptions).GetProperties().Where(p => p.CanWrite))
            Assert.NotEqual(p.GetValue(new ArchiveExtractionOptions()), p.GetValue(options));
        ArchiveExtractionOptions copy = options.Clone();
        foreach (var p in typeof(ArchiveExtractionOptions).GetProperties().Where(p => p.CanWrite))
        {
            if (p.Name == nameof(ArchiveExtractionOptions.Include)) Assert.Equal(options.Include, copy.Include);
            else Assert.Equal(p.GetValue(options), p.GetValue(copy));
        }
        copy.Include.Add("more");
        Assert.Single(options.Include);
    }
}
