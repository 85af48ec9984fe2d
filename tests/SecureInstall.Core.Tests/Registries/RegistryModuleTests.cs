using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.Install;
using SecureInstall.Core.Manifests;
using SecureInstall.Core.Modules;
using SecureInstall.Core.Registries;

namespace SecureInstall.Core.Tests.Registries;

/// <summary>
/// Issue 22: a module's .nupkg goes through the verified downloader, registries of the fleet included. Its sha512 pin is an
/// OCI digest, so a registry holding the package as a blob under it serves the install while the module's feed is gone.
/// </summary>
public sealed class RegistryModuleTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly List<string> _log = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>A .nupkg as nuget pack writes one (the .nuspec, the module, the OPC parts), as New-ModulePackage in TestHelpers.psm1.</summary>
    internal static byte[] Package(string id, string version)
    {
        var entries = new Dictionary<string, string>
        {
            [id + ".nuspec"] = $"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<package xmlns=\"http://schemas.microsoft.com/packaging/2011/08/nuspec.xsd\">\n  <metadata>\n    <id>{id}</id>\n    <version>{version}</version>\n    <authors>test</authors>\n    <description>test module</description>\n  </metadata>\n</package>\n",
            [id + ".psd1"] = $"@{{\n    RootModule = '{id}.psm1'\n    ModuleVersion = '{version}'\n    GUID = '{Guid.NewGuid()}'\n    FunctionsToExport = @('Get-{id}')\n}}\n",
            [id + ".psm1"] = $"function Get-{id} {{ '{id} {version}' }}\n",
            ["[Content_Types].xml"] = "<?xml version=\"1.0\" encoding=\"utf-8\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"psd1\" ContentType=\"application/octet\" /></Types>",
            ["_rels/.rels"] = "<?xml version=\"1.0\" encoding=\"utf-8\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\" />",
        };
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (KeyValuePair<string, string> entry in entries)
            {
                using Stream stream = zip.CreateEntry(entry.Key).Open();
                byte[] text = Encoding.UTF8.GetBytes(entry.Value);
                stream.Write(text, 0, text.Length);
            }
        }
        return buffer.ToArray();
    }

    /// <summary>Pushes <paramref name="served"/> as a blob under the sha512 of <paramref name="pinned"/>, and pins Lantern 2.0.0 by it from a feed nothing answers.</summary>
    private async Task<(PinnedManifest Manifest, string LockPath, string Hex)> Fixture(RegistryProcess registry, byte[] pinned)
    {
        string hex = Convert.ToHexStringLower(SHA512.HashData(pinned));
        VerifiedDownloaderOptions options = registry.Options(_log.Add);
        using (var client = new RegistryClient(registry.Reference(), options, options.RegistryCredential))
            await client.UploadAsync(pinned, "sha512:" + hex, CancellationToken.None);
        // A v2 feed on a port nothing listens on: the package's own URL cannot serve it.
        string path = _dir.File("secureinstall.yml", $"modules:\n  Lantern:\n    version: \"2.0.0\"\n    sha512: \"{hex}\"\n    source: https://127.0.0.1:1/api/v2\n");
        return (new ManifestReader().ReadFile(path), InstallLock.PathBeside(path), hex);
    }

    private async Task<IReadOnlyList<ModuleInstallResult>> Install(RegistryProcess registry, PinnedManifest manifest, string lockPath)
    {
        VerifiedDownloaderOptions pull = registry.Options(_log.Add);
        pull.Registries = new[] { RegistrySource.Parse($"oci://{registry.Host}/tools/secureinstall") };
        pull.RegistryOnly = true;
        using var downloader = new VerifiedDownloader(pull);
        var installer = new ModuleInstaller(new ModuleInstallerOptions { ModulePath = Path.Combine(_dir.Path, "Modules"), LockRoot = Path.Combine(_dir.Path, "root") }, downloader);
        return await installer.InstallAsync(manifest, ModuleInstaller.Select(manifest, new[] { "Lantern" }), lockPath, e => _log.Add(e.Message));
    }

    [SkippableFact]
    public async Task ModulePinnedBySha512_IsInstalledFromARegistryBlob_WhileItsFeedIsUnreachable()
    {
        Skip.If(RegistryProcess.SkipReason() != null, RegistryProcess.SkipReason());
        using RegistryProcess registry = RegistryProcess.Start();
        byte[] package = Package("Lantern", "2.0.0");
        (PinnedManifest manifest, string lockPath, string hex) = await Fixture(registry, package);

        ModuleInstallResult installed = Assert.Single(await Install(registry, manifest, lockPath));

        Assert.Equal(ModuleInstallStatus.Installed, installed.Status);
        Assert.Contains(_log, l => l.StartsWith($"Trying the registry oci://{registry.Host}/tools/secureinstall first: https://{registry.Host}/v2/tools/secureinstall/blobs/sha512:{hex}", StringComparison.Ordinal));
        Assert.Equal("function Get-Lantern { 'Lantern 2.0.0' }\n", File.ReadAllText(Path.Combine(_dir.Path, "Modules", "Lantern", "2.0.0", "Lantern.psm1")));
        ModuleLockEntry locked = Assert.Single(InstallLock.Load(lockPath).Modules);
        Assert.Equal(("Lantern", "2.0.0", hex, installed.TreeDigest), (locked.Name, locked.Version, locked.Sha512, locked.TreeDigest));
        Assert.Equal("https://127.0.0.1:1/api/v2", locked.Source);
    }

    [SkippableFact]
    public async Task ARegistryServingOtherBytesUnderTheModulesPin_IsChecksumMismatch_AndNothingIsInstalled()
    {
        Skip.If(RegistryProcess.SkipReason() != null, RegistryProcess.SkipReason());
        using RegistryProcess registry = RegistryProcess.Start();
        byte[] package = Package("Lantern", "2.0.0");
        (PinnedManifest manifest, string lockPath, _) = await Fixture(registry, package);
        // The registry's storage holds the blob under its sha256; other bytes of the same length put there behind its back.
        string sha256 = Convert.ToHexStringLower(SHA256.HashData(package));
        string data = registry.BlobData(sha256);
        File.WriteAllBytes(data, RandomNumberGenerator.GetBytes(package.Length));

        var ex = await Assert.ThrowsAnyAsync<SecureInstallException>(() => Install(registry, manifest, lockPath));

        Assert.Equal(ErrorIds.ChecksumMismatch, ex.ErrorId);
        Assert.False(Directory.Exists(Path.Combine(_dir.Path, "Modules", "Lantern")));
        Assert.False(File.Exists(lockPath));
    }
}
