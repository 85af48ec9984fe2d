using System.Security.Cryptography;
using System.Text.Json;
using SecureInstall.Core.Checksums;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.Install;
using SecureInstall.Core.Manifests;
using SecureInstall.Core.Registries;

namespace SecureInstall.Core.Tests.Registries;

/// <summary>
/// Issue 20: push and pull against the real CNCF distribution registry (docker-registry) with htpasswd Basic auth over TLS
/// from a test CA; skopeo reads our manifest and curl fetches the blobs, as a second and third client.
/// </summary>
public sealed class RegistryPushPullTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly List<string> _log = new();

    public void Dispose() => _dir.Dispose();

    internal static (string Manifest, Dictionary<string, (string Path, string Sha256)> Files) Fixture(TempDir dir, int count = 2, int size = 3000, string tool = "hello")
    {
        var files = new Dictionary<string, (string, string)>();
        var yaml = new System.Text.StringBuilder($"tools:\n  {tool}:\n    versions:\n      \"1.0.0\":\n        artifacts:\n");
        string[] platforms = { "linux-x64", "darwin-arm64", "windows-x64", "linux-arm64" };
        for (int i = 0; i < count; i++)
        {
            string platform = platforms[i];
            byte[] bytes = RandomNumberGenerator.GetBytes(size);
            string path = Path.Combine(dir.Path, "upstream", platform, tool);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, bytes);
            string sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
            files[platform] = (path, sha);
            yaml.Append($"          {platform}:\n            url: {new Uri(path).AbsoluteUri}\n            sha256: \"{sha}\"\n");
        }
        return (dir.File("secureinstall.yml", yaml.ToString()), files);
    }

    private static IReadOnlyList<ResolvedArtifact> All(string manifest) =>
        PinnedArtifactResolver.Select(new ManifestReader().ReadFile(manifest), Array.Empty<string>(), null, Array.Empty<string>());

    private async Task<RegistryPushResult> Push(RegistryProcess registry, string manifest, int chunkSize = RegistryClient.DefaultChunkSize,
        string repository = "tools/secureinstall", string[]? mountFrom = null)
    {
        VerifiedDownloaderOptions options = registry.Options(_log.Add);
        using var downloader = new VerifiedDownloader(options);
        using var client = new RegistryClient(registry.Reference(repository), options, options.RegistryCredential) { ChunkSize = chunkSize };
        return await new RegistryPush(downloader, client) { MountFrom = mountFrom ?? Array.Empty<string>() }.PushAsync(manifest, All(manifest), _log.Add);
    }

    [SkippableFact]
    public async Task Push_ToAnotherRepository_MountsEveryBlobFromTheFirst_AndSendsNoBytes()
    {
        Skip.If(RegistryProcess.SkipReason() != null, RegistryProcess.SkipReason());
        using RegistryProcess registry = RegistryProcess.Start();
        (string manifest, _) = Fixture(_dir);
        RegistryPushResult first = await Push(registry, manifest);
        RegistryPushResult mounted = await Push(registry, manifest, repository: "team/copy", mountFrom: new[] { "tools/secureinstall" });
        Assert.Equal(first.Layers + 1, mounted.BlobsMounted);
        Assert.Equal(0, mounted.BlobsUploaded);
        Assert.Equal(0, mounted.BytesUploaded);
        Assert.Equal(first.Digest, mounted.Digest);
    }

    [SkippableFact]
    public async Task Push_WritesAnOciArtifactSkopeoReads_BlobsCurlFetchesHashToThePins_AndASecondPushSendsNothing()
    {
        Skip.If(RegistryProcess.SkipReason() != null, RegistryProcess.SkipReason());
        using RegistryProcess registry = RegistryProcess.Start();
        (string manifest, var files) = Fixture(_dir);

        RegistryPushResult first = await Push(registry, manifest);
        Assert.Equal(0, first.BlobsSkipped);
        Assert.Equal(first.Layers + 1, first.BlobsUploaded); // and the empty config
        Assert.True(first.BytesUploaded >= 6000, $"{first.BytesUploaded} bytes");

        RegistryPushResult second = await Push(registry, manifest);
        Assert.Equal(0, second.BytesUploaded);
        Assert.Equal(0, second.BlobsUploaded);
        Assert.Equal(first.Digest, second.Digest);

        Skip.IfNot(File.Exists("/usr/bin/skopeo"), "skopeo (Debian package skopeo) cross-checks the manifest");
        (int code, string raw, string err) = RegistryProcess.Run("/usr/bin/skopeo", "inspect", "--raw", "--creds", $"{RegistryProcess.User}:{RegistryProcess.Password}",
            "--cert-dir", registry.CertDirectory, $"docker://{registry.Host}/tools/secureinstall:v1");
        Assert.True(code == 0, err);
        Assert.Equal(first.Digest, "sha256:" + Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(raw))));
        using JsonDocument doc = JsonDocument.Parse(raw);
        Assert.Equal(OciArtifact.ArtifactType, doc.RootElement.GetProperty("artifactType").GetString());
        Assert.Equal(OciArtifact.EmptyMediaType, doc.RootElement.GetProperty("config").GetProperty("mediaType").GetString());
        var titles = doc.RootElement.GetProperty("layers").EnumerateArray().Select(l => l.GetProperty("annotations").GetProperty(OciArtifact.TitleAnnotation).GetString()).ToList();
        foreach ((string platform, (string _, string sha)) in files)
        {
            Assert.Contains($"artifacts/{sha}/hello", titles);
            string fetched = Path.Combine(_dir.Path, "curl-" + platform);
            (int c, _, string e) = RegistryProcess.Run("/usr/bin/curl", "-sSf", "--cacert", registry.CaPemPath, "-u", $"{RegistryProcess.User}:{RegistryProcess.Password}",
                "-o", fetched, $"https://{registry.Host}/v2/tools/secureinstall/blobs/sha256:{sha}");
            Assert.True(c == 0, e);
            Assert.Equal(sha, Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(fetched))));
        }
        Assert.Contains("secureinstall.yml", titles);
        Assert.DoesNotContain(_log, l => l.Contains(RegistryProcess.Password, StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task ChunkedUpload_ProducesTheSameBlobs()
    {
        Skip.If(RegistryProcess.SkipReason() != null, RegistryProcess.SkipReason());
        using RegistryProcess registry = RegistryProcess.Start();
        (string manifest, var files) = Fixture(_dir, count: 1, size: 300_000);
        RegistryPushResult pushed = await Push(registry, manifest, chunkSize: 64 * 1024);
        Assert.Equal(pushed.Layers + 1, pushed.BlobsUploaded);
        Assert.Contains(_log, l => l.Contains("(in chunks)", StringComparison.Ordinal));

        VerifiedDownloaderOptions options = registry.Options();
        using var client = new RegistryClient(registry.Reference(), options, options.RegistryCredential);
        Assert.True(await client.BlobExistsAsync("sha256:" + files["linux-x64"].Sha256, CancellationToken.None));
    }

    [SkippableFact]
    public async Task Install_FromTheRegistry_FetchesTheBlobByItsPin_WhenTheOriginalUrlIsGone()
    {
        Skip.If(RegistryProcess.SkipReason() != null, RegistryProcess.SkipReason());
        using RegistryProcess registry = RegistryProcess.Start();
        (string manifest, var files) = Fixture(_dir);
        await Push(registry, manifest);
        File.Delete(files["linux-x64"].Path);

        InstallResult result = await Install(registry, manifest, registryOnly: false);
        Assert.Equal(InstallStatus.Installed, result.Status);
        Assert.Equal(files["linux-x64"].Sha256, FileHasher.HashFile(Path.Combine(result.Path, "hello"), ChecksumAlgorithm.SHA256));
        Assert.Contains(_log, l => l.Contains($"/v2/tools/secureinstall/blobs/sha256:{files["linux-x64"].Sha256}", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task RegistryOnly_NeverTouchesTheOriginalUrl_AndAMissingBlobFailsWithNothingInstalled()
    {
        Skip.If(RegistryProcess.SkipReason() != null, RegistryProcess.SkipReason());
        using RegistryProcess registry = RegistryProcess.Start();
        (string manifest, var files) = Fixture(_dir);
        // Nothing pushed: the registry does not hold the blob, while the original file is right there.
        var ex = await Assert.ThrowsAsync<DownloadFailedException>(() => Install(registry, manifest, registryOnly: true));
        Assert.Equal(ErrorIds.DownloadFailed, ex.ErrorId);
        Assert.Equal(404, ex.StatusCode);
        Assert.DoesNotContain(_log, l => l.Contains(files["linux-x64"].Path, StringComparison.Ordinal) && l.StartsWith("Downloading", StringComparison.Ordinal));
        Assert.False(Directory.Exists(Path.Combine(_dir.Path, "root", "hello", "1.0.0")));
    }

    [SkippableFact]
    public async Task WrongPassword_IsRegistryAuthenticationFailed_AndTheOriginalUrlIsUsedInstead()
    {
        Skip.If(RegistryProcess.SkipReason() != null, RegistryProcess.SkipReason());
        using RegistryProcess registry = RegistryProcess.Start();
        (string manifest, var files) = Fixture(_dir);
        await Push(registry, manifest);

        var refused = await Assert.ThrowsAsync<RegistryAuthenticationException>(() => Install(registry, manifest, registryOnly: true, credential: new RegistryCredential(RegistryProcess.User, "wrong")));
        Assert.Equal(ErrorIds.RegistryAuthenticationFailed, refused.ErrorId);
        Assert.DoesNotContain("wrong", refused.Message, StringComparison.Ordinal);

        InstallResult fallback = await Install(registry, manifest, registryOnly: false, credential: new RegistryCredential(RegistryProcess.User, "wrong"));
        Assert.Equal(InstallStatus.Installed, fallback.Status);
        Assert.Contains(_log, l => l.Contains("RegistryAuthenticationFailed", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task MirrorsJson_RegistryEntry_IsTriedFirst_ForEveryPinnedArtifact()
    {
        Skip.If(RegistryProcess.SkipReason() != null, RegistryProcess.SkipReason());
        using RegistryProcess registry = RegistryProcess.Start();
        (string manifest, var files) = Fixture(_dir);
        await Push(registry, manifest);
        File.Delete(files["linux-x64"].Path);
        string mirrors = _dir.File("mirrors.json", $$$"""{"mirrors": [{"registry": "oci://{{{registry.Host}}}/tools/secureinstall"}]}""");

        VerifiedDownloaderOptions options = registry.Options(_log.Add);
        options.Mirrors = MirrorConfiguration.Load(mirrors);
        // A mirrors.json registry never gets the credential given for -Registry (there is none here): it reads its own
        // entry from the Docker config, as a fleet machine logged in with `docker login` has it.
        options.RegistryCredential = null;
        string auth = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{RegistryProcess.User}:{RegistryProcess.Password}"));
        options.DockerConfigPath = _dir.File("docker-config.json", "{\"auths\": {\"" + registry.Host + "\": {\"auth\": \"" + auth + "\"}}}");
        using var downloader = new VerifiedDownloader(options);
        var installer = new ToolInstaller(new ToolInstallerOptions { Root = Path.Combine(_dir.Path, "root"), Platform = "linux-x64" }, downloader);
        string lockPath = InstallLock.PathBeside(manifest);
        InstallResult result = await installer.InstallAsync(installer.Plan(new ManifestReader().ReadFile(manifest), InstallLock.Load(lockPath), "hello", null), lockPath);
        Assert.Equal(InstallStatus.Installed, result.Status);
        Assert.Contains(_log, l => l.StartsWith($"Trying the registry oci://{registry.Host}/tools/secureinstall first", StringComparison.Ordinal));
    }

    internal async Task<InstallResult> Install(RegistryProcess registry, string manifest, bool registryOnly, RegistryCredential? credential = null, string? root = null, string platform = "linux-x64")
    {
        VerifiedDownloaderOptions options = registry.Options(_log.Add);
        options.Registries = new[] { RegistrySource.Parse($"oci://{registry.Host}/tools/secureinstall") };
        options.RegistryOnly = registryOnly;
        if (credential != null) options.RegistryCredential = credential;
        using var downloader = new VerifiedDownloader(options);
        var installer = new ToolInstaller(new ToolInstallerOptions { Root = root ?? Path.Combine(_dir.Path, "root"), Platform = platform }, downloader);
        string lockPath = InstallLock.PathBeside(manifest);
        return await installer.InstallAsync(installer.Plan(new ManifestReader().ReadFile(manifest), InstallLock.Load(lockPath), "hello", null), lockPath);
    }
}
