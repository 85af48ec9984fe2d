using System.Security.Cryptography;
using System.Text.Json;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.Install;
using SecureInstall.Core.Manifests;
using SecureInstall.Core.Modules;
using SecureInstall.Core.Registries;

namespace SecureInstall.Core.Tests.Registries;

/// <summary>
/// Issues 20 and 22: a manifest's modules travel with the push. Each pinned .nupkg, fetched from its feed and held to its
/// sha512, becomes a blob addressed sha512:&lt;pin&gt; (what Install-PinnedModule -Registry asks for) and a layer of the same
/// image manifest, to the real docker-registry and to the image layout folder alike; a second machine installs it with its
/// feed gone.
/// </summary>
public sealed class RegistryModulePushTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly List<string> _log = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>
    /// A manifest with one tool (hello, linux-x64 and windows-x64) and the module Lantern 2.0.0, which its file:// "feed" serves
    /// at &lt;feed&gt;/package/Lantern/2.0.0 as a NuGet v2 feed would. Returns the package path, so a test can take the feed away.
    /// </summary>
    private (string Manifest, string Package, string Hex) Fixture(byte[]? served = null)
    {
        (string manifest, _) = RegistryPushPullTests.Fixture(_dir);
        byte[] package = RegistryModuleTests.Package("Lantern", "2.0.0");
        string hex = Convert.ToHexStringLower(SHA512.HashData(package));
        string feed = Path.Combine(_dir.Path, "feed");
        string path = Path.Combine(feed, "package", "Lantern", "2.0.0");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, served ?? package);
        File.AppendAllText(manifest, $"modules:\n  Lantern:\n    version: \"2.0.0\"\n    sha512: \"{hex}\"\n    source: {new Uri(feed).AbsoluteUri}\n");
        return (manifest, path, hex);
    }

    private static BundleSelection All(string manifest, params string[] platforms) =>
        BundleSelection.Of(new ManifestReader().ReadFile(manifest), Array.Empty<string>(), null, platforms);

    private async Task<RegistryPushResult> Push(RegistryProcess registry, string manifest, BundleSelection selection)
    {
        VerifiedDownloaderOptions options = registry.Options(_log.Add);
        using var downloader = new VerifiedDownloader(options);
        using var client = new RegistryClient(registry.Reference(), options, options.RegistryCredential);
        return await new RegistryPush(downloader, client).PushAsync(manifest, selection, _log.Add);
    }

    /// <summary>Installs Lantern on "another machine" (its own module path and lock root) from <paramref name="source"/> alone.</summary>
    private async Task<ModuleInstallResult> InstallModule(VerifiedDownloaderOptions pull, RegistrySource source, string manifest)
    {
        pull.Registries = new[] { source };
        pull.RegistryOnly = true;
        using var downloader = new VerifiedDownloader(pull);
        var installer = new ModuleInstaller(new ModuleInstallerOptions { ModulePath = Path.Combine(_dir.Path, "machine2", "Modules"), LockRoot = Path.Combine(_dir.Path, "machine2", "root") }, downloader);
        PinnedManifest pinned = new ManifestReader().ReadFile(manifest);
        return Assert.Single(await installer.InstallAsync(pinned, ModuleInstaller.Select(pinned, null), InstallLock.PathBeside(manifest), e => _log.Add(e.Message)));
    }

    [SkippableFact]
    public async Task Push_CarriesTheModuleAsASha512Blob_ASecondPushSendsNothing_AndAnotherMachineInstallsItWithTheFeedGone()
    {
        Skip.If(RegistryProcess.SkipReason() != null, RegistryProcess.SkipReason());
        using RegistryProcess registry = RegistryProcess.Start();
        (string manifest, string package, string hex) = Fixture();

        RegistryPushResult first = await Push(registry, manifest, All(manifest));
        BundledModule pushed = Assert.Single(first.Modules);
        Assert.Equal(("Lantern", "2.0.0", hex, false), (pushed.Name, pushed.Version, pushed.Sha512, pushed.IsDependency));
        Assert.Equal(2, first.Artifacts.Count);
        Assert.Contains(_log, l => l.StartsWith($"modules/sha512-{hex}/lantern.2.0.0.nupkg: uploaded", StringComparison.Ordinal) && l.EndsWith($"as sha512:{hex}.", StringComparison.Ordinal));

        RegistryPushResult second = await Push(registry, manifest, All(manifest));
        Assert.Equal((0, 0L), (second.BlobsUploaded, second.BytesUploaded));
        Assert.Equal(first.Digest, second.Digest);

        VerifiedDownloaderOptions options = registry.Options();
        using (var client = new RegistryClient(registry.Reference(), options, options.RegistryCredential))
            Assert.True(await client.BlobExistsAsync("sha512:" + hex, CancellationToken.None));

        // Another client reads the layer: skopeo shows it in the same image manifest, titled by its bundle path.
        Skip.IfNot(File.Exists("/usr/bin/skopeo"), "skopeo (Debian package skopeo) cross-checks the manifest");
        (int code, string raw, string err) = RegistryProcess.Run("/usr/bin/skopeo", "inspect", "--raw", "--creds", $"{RegistryProcess.User}:{RegistryProcess.Password}",
            "--cert-dir", registry.CertDirectory, $"docker://{registry.Host}/tools/secureinstall:v1");
        Assert.True(code == 0, err);
        using JsonDocument doc = JsonDocument.Parse(raw);
        Assert.Equal(OciArtifact.ArtifactType, doc.RootElement.GetProperty("artifactType").GetString());
        JsonElement layer = Assert.Single(doc.RootElement.GetProperty("layers").EnumerateArray(), l => l.GetProperty("digest").GetString() == "sha512:" + hex);
        Assert.Equal(OciArtifact.LayerMediaType, layer.GetProperty("mediaType").GetString());
        Assert.Equal($"modules/sha512-{hex}/lantern.2.0.0.nupkg", layer.GetProperty("annotations").GetProperty(OciArtifact.TitleAnnotation).GetString());
        Assert.Equal(new FileInfo(package).Length, layer.GetProperty("size").GetInt64());

        // The second machine: the feed is gone; the registry alone serves the package, held to its pin.
        File.Delete(package);
        ModuleInstallResult installed = await InstallModule(registry.Options(_log.Add), RegistrySource.Parse($"oci://{registry.Host}/tools/secureinstall"), manifest);
        Assert.Equal(ModuleInstallStatus.Installed, installed.Status);
        Assert.Equal("function Get-Lantern { 'Lantern 2.0.0' }\n", File.ReadAllText(Path.Combine(installed.Path, "Lantern.psm1")));
        Assert.Contains(_log, l => l.Contains($"/v2/tools/secureinstall/blobs/sha512:{hex}", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task Push_OfAModuleItsFeedServesOtherBytesFor_IsChecksumMismatch_AndSendsNothing()
    {
        Skip.If(RegistryProcess.SkipReason() != null, RegistryProcess.SkipReason());
        using RegistryProcess registry = RegistryProcess.Start();
        (string manifest, _, string hex) = Fixture(served: RegistryModuleTests.Package("Lantern", "2.0.1"));

        var ex = await Assert.ThrowsAnyAsync<SecureInstallException>(() => Push(registry, manifest, All(manifest)));

        Assert.Equal(ErrorIds.ChecksumMismatch, ex.ErrorId);
        VerifiedDownloaderOptions options = registry.Options();
        using var client = new RegistryClient(registry.Reference(), options, options.RegistryCredential);
        // Every file is verified before a byte is sent: not even the tools' blobs went up.
        var tool = new ManifestReader().ReadFile(manifest).Tools[0].Versions[0].Artifacts[0];
        Assert.False(await client.BlobExistsAsync("sha256:" + tool.Sha256, CancellationToken.None));
        Assert.False(await client.BlobExistsAsync("sha512:" + hex, CancellationToken.None));
    }

    [Fact]
    public async Task ImageLayoutFolder_HoldsTheModuleUnderBlobsSha512_AndInstallsItWithTheFeedGone()
    {
        (string manifest, string package, string hex) = Fixture();
        string bundle = Path.Combine(_dir.Path, "bundle");
        using (var downloader = new VerifiedDownloader(new VerifiedDownloaderOptions { Log = _log.Add }))
        {
            SavedBundle saved = await new ToolBundle(downloader).SaveAsync(manifest, All(manifest, "linux-x64"), bundle, _log.Add);
            Assert.Single(saved.Artifacts);
            Assert.Equal("Lantern", Assert.Single(saved.Modules).Name);
        }
        string digest = OciImageLayout.Write(bundle, "latest", CancellationToken.None);
        Assert.True(File.Exists(Path.Combine(bundle, "blobs", "sha512", hex)));
        Assert.Contains($"lantern.2.0.0.nupkg", File.ReadAllText(Path.Combine(bundle, "SHA256SUMS")));
        var layers = OciArtifact.ReadLayers(File.ReadAllBytes(OciImageLayout.BlobPath(bundle, digest)), bundle);
        Assert.Contains(($"sha512:{hex}", new FileInfo(package).Length, $"modules/sha512-{hex}/lantern.2.0.0.nupkg"), layers);

        File.Delete(package);
        ModuleInstallResult installed = await InstallModule(new VerifiedDownloaderOptions { Log = _log.Add }, RegistrySource.Parse(bundle), manifest);
        Assert.Equal(ModuleInstallStatus.Installed, installed.Status);
        Assert.Equal(hex, installed.Sha512);
    }

    [Fact]
    public void ImageLayout_RefusesAModulePackageThatIsNotItsFoldersPin()
    {
        string bundle = Path.Combine(_dir.Path, "bundle");
        string folder = Path.Combine(bundle, "modules", "sha512-" + new string('a', 128));
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, "lantern.2.0.0.nupkg"), RegistryModuleTests.Package("Lantern", "2.0.0"));

        var ex = Assert.Throws<SecureInstall.Core.Checksums.ChecksumMismatchException>(() => OciImageLayout.Write(bundle, "latest", CancellationToken.None));

        Assert.Equal(ErrorIds.ChecksumMismatch, ex.ErrorId);
        Assert.Contains("modules/sha512-" + new string('a', 128), ex.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(bundle, "index.json")));
    }
}
