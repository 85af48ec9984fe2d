using System.Security.Cryptography;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.Install;
using SecureInstall.Core.Registries;

namespace SecureInstall.Core.Tests.Registries;

/// <summary>
/// Issue 20: artifacts pinned only by an integrity (no sha256). The real docker-registry (2.8.2) takes an upload closed
/// with ?digest=sha512:…, checks it (a wrong one is 400 DIGEST_INVALID), serves GET/HEAD by it and takes a manifest layer
/// with a sha512 digest: such artifacts are pushed and pulled by their sha512 pin. sha384 is no OCI digest algorithm, so a
/// sha384-only artifact still falls back to its URL, and the push says so per artifact.
/// </summary>
public sealed class RegistrySha512Tests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly List<string> _log = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>One artifact for linux-x64 pinned by "integrity: &lt;algorithm&gt;-&lt;base64&gt;" alone.</summary>
    private (string Manifest, string File, string Hex) Fixture(HashAlgorithm algorithm, string name)
    {
        byte[] bytes = RandomNumberGenerator.GetBytes(4000);
        string path = Path.Combine(_dir.Path, "upstream", "hello");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        byte[] digest = algorithm.ComputeHash(bytes);
        string manifest = _dir.File("secureinstall.yml",
            $"tools:\n  hello:\n    versions:\n      \"1.0.0\":\n        artifacts:\n          linux-x64:\n            url: {new Uri(path).AbsoluteUri}\n            integrity: {name}-{Convert.ToBase64String(digest)}\n");
        return (manifest, path, Convert.ToHexStringLower(digest));
    }

    private Task<RegistryPushResult> Push(RegistryProcess registry, string manifest) => RegistryPlainHttpTests.PushAll(registry, manifest, registry.Options(_log.Add), _log);

    private Task<InstallResult> Install(VerifiedDownloaderOptions options, string manifest) => RegistryPlainHttpTests.InstallHello(options, manifest, _dir);

    [SkippableFact]
    public async Task Sha512OnlyArtifact_IsPushedAsASha512Blob_AndARegistryOnlyInstallFetchesItByItsPin()
    {
        Skip.If(RegistryProcess.SkipReason() != null, RegistryProcess.SkipReason());
        using RegistryProcess registry = RegistryProcess.Start();
        using var sha = SHA512.Create();
        (string manifest, string file, string hex) = Fixture(sha, "sha512");

        RegistryPushResult pushed = await Push(registry, manifest);
        VerifiedDownloaderOptions options = registry.Options(_log.Add);
        using (var client = new RegistryClient(registry.Reference(), options, options.RegistryCredential))
        {
            var layers = OciArtifact.ReadLayers(await client.GetManifestAsync(pushed.Digest, CancellationToken.None), "test");
            Assert.Contains(layers, l => l.Digest == "sha512:" + hex && l.Title == $"artifacts/sha512-{hex}/hello");
            Assert.True(await client.BlobExistsAsync("sha512:" + hex, CancellationToken.None));
        }
        // A second client: skopeo reads the manifest with the sha512 layer.
        if (File.Exists("/usr/bin/skopeo"))
        {
            (int code, string raw, string err) = RegistryProcess.Run("/usr/bin/skopeo", "inspect", "--raw", "--cert-dir", registry.CertDirectory,
                "--creds", $"{RegistryProcess.User}:{RegistryProcess.Password}", $"docker://{registry.Host}/tools/secureinstall:v1");
            Assert.True(code == 0, err);
            Assert.Contains("\"sha512:" + hex + "\"", raw, StringComparison.Ordinal);
        }

        File.Delete(file);
        VerifiedDownloaderOptions pull = registry.Options(_log.Add);
        pull.Registries = new[] { RegistrySource.Parse($"oci://{registry.Host}/tools/secureinstall") };
        pull.RegistryOnly = true;
        InstallResult installed = await Install(pull, manifest);
        Assert.Equal(InstallStatus.Installed, installed.Status);
        Assert.Contains(_log, l => l.StartsWith($"Trying the registry oci://{registry.Host}/tools/secureinstall first: https://{registry.Host}/v2/tools/secureinstall/blobs/sha512:{hex}", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task Sha512OnlyArtifact_OtherBytesUnderItsDigest_AreChecksumMismatch_AndNothingIsPlaced()
    {
        Skip.If(RegistryProcess.SkipReason() != null, RegistryProcess.SkipReason());
        using RegistryProcess registry = RegistryProcess.Start();
        using var sha = SHA512.Create();
        (string manifest, string file, string hex) = Fixture(sha, "sha512");
        await Push(registry, manifest);
        // The registry's storage holds the blob under its sha256; overwrite those bytes (same length) behind its back.
        string sha256 = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file)));
        string data = registry.BlobData(sha256);
        File.WriteAllBytes(data, RandomNumberGenerator.GetBytes(4000));
        File.Delete(file);

        VerifiedDownloaderOptions pull = registry.Options(_log.Add);
        pull.Registries = new[] { RegistrySource.Parse($"oci://{registry.Host}/tools/secureinstall") };
        pull.RegistryOnly = true;
        var ex = await Assert.ThrowsAnyAsync<SecureInstallException>(() => Install(pull, manifest));
        Assert.Equal(ErrorIds.ChecksumMismatch, ex.ErrorId);
        Assert.False(Directory.Exists(Path.Combine(_dir.Path, "root", "hello", "1.0.0")));
    }

    [SkippableFact]
    public async Task Sha384OnlyArtifact_KeepsTheUrlFallback_AndThePushSaysSoForThatArtifact()
    {
        Skip.If(RegistryProcess.SkipReason() != null, RegistryProcess.SkipReason());
        using RegistryProcess registry = RegistryProcess.Start();
        using var sha = SHA384.Create();
        (string manifest, _, string hex) = Fixture(sha, "sha384");

        await Push(registry, manifest);
        Assert.Contains(_log, l => l.StartsWith($"artifacts/sha384-{hex}/hello: pinned by sha384 alone, which is not an OCI digest algorithm", StringComparison.Ordinal));

        VerifiedDownloaderOptions only = registry.Options(_log.Add);
        only.Registries = new[] { RegistrySource.Parse($"oci://{registry.Host}/tools/secureinstall") };
        only.RegistryOnly = true;
        var refused = await Assert.ThrowsAsync<RegistryRequestException>(() => Install(only, manifest));
        Assert.Contains("not pinned by either", refused.Message, StringComparison.Ordinal);

        VerifiedDownloaderOptions fallback = registry.Options(_log.Add);
        fallback.Registries = only.Registries;
        InstallResult installed = await Install(fallback, manifest);
        Assert.Equal(InstallStatus.Installed, installed.Status);
        Assert.Contains(_log, l => l.StartsWith("Not asking the registries for hello: it is pinned by sha384 alone", StringComparison.Ordinal));
    }

    [Fact]
    public void ImageLayout_KeepsASha512OnlyArtifactUnderBlobsSha512()
    {
        string bundle = Path.Combine(_dir.Path, "bundle");
        byte[] bytes = RandomNumberGenerator.GetBytes(100);
        string hex = Convert.ToHexStringLower(SHA512.HashData(bytes));
        Directory.CreateDirectory(Path.Combine(bundle, "artifacts", "sha512-" + hex));
        File.WriteAllBytes(Path.Combine(bundle, "artifacts", "sha512-" + hex, "hello"), bytes);
        OciImageLayout.Write(bundle, "latest", CancellationToken.None);
        Assert.True(File.Exists(Path.Combine(bundle, "blobs", "sha512", hex)));
        Assert.Equal(Path.Combine(bundle, "blobs", "sha512", hex), RegistrySource.Parse(bundle).BlobUri("sha512:" + hex).LocalPath);

        // A file that does not hash to its folder's sha512 pin is refused, as for a sha256 folder.
        string wrong = Path.Combine(_dir.Path, "wrong");
        Directory.CreateDirectory(Path.Combine(wrong, "artifacts", "sha512-" + new string('0', 128)));
        File.WriteAllBytes(Path.Combine(wrong, "artifacts", "sha512-" + new string('0', 128), "hello"), new byte[] { 1 });
        Assert.Equal(ErrorIds.ChecksumMismatch, Assert.ThrowsAny<SecureInstallException>(() => OciArtifact.LayersOf(wrong, CancellationToken.None)).ErrorId);
    }
}
