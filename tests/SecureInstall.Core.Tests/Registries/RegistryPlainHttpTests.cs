using SecureInstall.Core.Downloads;
using SecureInstall.Core.Install;
using SecureInstall.Core.Manifests;
using SecureInstall.Core.Registries;

namespace SecureInstall.Core.Tests.Registries;

/// <summary>
/// Issue 20: a registry without TLS (the real docker-registry on loopback, htpasswd Basic auth, no tls: section). Plain HTTP
/// only with AllowInsecureTransport (-AllowInsecureTransport, --allow-insecure-transport): the registries a command names are
/// then spoken to over http:// (as oras --plain-http), and a mirrors.json entry says so itself with "plainHttp": true.
/// Without the switch: InsecureTransport, naming the registry.
/// </summary>
public sealed class RegistryPlainHttpTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly List<string> _log = new();

    public void Dispose() => _dir.Dispose();

    private VerifiedDownloaderOptions Options(RegistryProcess registry, bool allowInsecureTransport)
    {
        VerifiedDownloaderOptions options = registry.Options(_log.Add);
        options.AllowInsecureTransport = allowInsecureTransport;
        return options;
    }

    private Task<RegistryPushResult> Push(RegistryProcess registry, string manifest, VerifiedDownloaderOptions options) => PushAll(registry, manifest, options, _log);

    private Task<InstallResult> Install(VerifiedDownloaderOptions options, string manifest) => InstallHello(options, manifest, _dir);

    /// <summary>Pushes every artifact of <paramref name="manifest"/> to the registry's tools/secureinstall:v1.</summary>
    internal static async Task<RegistryPushResult> PushAll(RegistryProcess registry, string manifest, VerifiedDownloaderOptions options, List<string> log)
    {
        using var downloader = new VerifiedDownloader(options);
        using var client = new RegistryClient(registry.Reference(), options, options.RegistryCredential);
        return await new RegistryPush(downloader, client).PushAsync(manifest,
            PinnedArtifactResolver.Select(new ManifestReader().ReadFile(manifest), Array.Empty<string>(), null, Array.Empty<string>()), log.Add);
    }

    /// <summary>Installs the tool hello for linux-x64 under <paramref name="dir"/>/root.</summary>
    internal static async Task<InstallResult> InstallHello(VerifiedDownloaderOptions options, string manifest, TempDir dir)
    {
        using var downloader = new VerifiedDownloader(options);
        var installer = new ToolInstaller(new ToolInstallerOptions { Root = Path.Combine(dir.Path, "root"), Platform = "linux-x64" }, downloader);
        string lockPath = InstallLock.PathBeside(manifest);
        return await installer.InstallAsync(installer.Plan(new ManifestReader().ReadFile(manifest), InstallLock.Load(lockPath), "hello", null), lockPath);
    }

    [SkippableFact]
    public async Task PlainHttpRegistry_WithTheSwitch_TakesAPush_SkopeoReadsIt_AndARegistryOnlyInstallVerifies()
    {
        Skip.If(RegistryProcess.SkipReason() != null, RegistryProcess.SkipReason());
        using RegistryProcess registry = RegistryProcess.Start(plainHttp: true);
        (string manifest, var files) = RegistryPushPullTests.Fixture(_dir);

        RegistryPushResult pushed = await Push(registry, manifest, Options(registry, allowInsecureTransport: true));
        Assert.Equal(pushed.Layers + 1, pushed.BlobsUploaded);
        Assert.Contains(_log, l => l.Contains($"The registry {registry.Host} is spoken to over plain HTTP", StringComparison.Ordinal)
                                   && l.Contains("crosses the network unencrypted", StringComparison.Ordinal));
        Assert.DoesNotContain(_log, l => l.Contains(RegistryProcess.Password, StringComparison.Ordinal));

        if (File.Exists("/usr/bin/skopeo"))
        {
            (int code, string raw, string err) = RegistryProcess.Run("/usr/bin/skopeo", "inspect", "--raw", "--tls-verify=false",
                "--creds", $"{RegistryProcess.User}:{RegistryProcess.Password}", $"docker://{registry.Host}/tools/secureinstall:v1");
            Assert.True(code == 0, err);
            Assert.Contains(OciArtifact.ArtifactType, raw, StringComparison.Ordinal);
        }

        File.Delete(files["linux-x64"].Path);
        VerifiedDownloaderOptions pull = Options(registry, allowInsecureTransport: true);
        pull.Registries = new[] { RegistrySource.Parse($"oci://{registry.Host}/tools/secureinstall", plainHttp: true) };
        pull.RegistryOnly = true;
        InstallResult installed = await Install(pull, manifest);
        Assert.Equal(InstallStatus.Installed, installed.Status);
        Assert.Equal(files["linux-x64"].Sha256, installed.Sha256);
        Assert.Contains(_log, l => l.StartsWith($"Trying the registry oci://{registry.Host}/tools/secureinstall (plain HTTP) first: http://{registry.Host}/v2/", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task PlainHttpRegistry_WithoutTheSwitch_IsInsecureTransport_NamingTheRegistry_BeforeAnyRequest()
    {
        Skip.If(RegistryProcess.SkipReason() != null, RegistryProcess.SkipReason());
        using RegistryProcess registry = RegistryProcess.Start(plainHttp: true);
        (string manifest, _) = RegistryPushPullTests.Fixture(_dir);

        var refused = await Assert.ThrowsAsync<InsecureTransportException>(() => Push(registry, manifest, Options(registry, allowInsecureTransport: false)));
        Assert.Equal(ErrorIds.InsecureTransport, refused.ErrorId);
        Assert.Equal(FailureKind.Security, refused.Kind);
        Assert.Contains($"The registry oci://{registry.Host}/tools/secureinstall is plain HTTP", refused.Message, StringComparison.Ordinal);
        Assert.Contains("-AllowInsecureTransport", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_log, l => l.Contains("allows anonymous access", StringComparison.Ordinal) || l.Contains("asks for Basic", StringComparison.Ordinal));
        // The registry holds no repository: no blob went there.
        Assert.False(Directory.Exists(Path.Combine(registry.StoragePath, "docker", "registry", "v2", "repositories", "tools")));
    }

    [SkippableFact]
    public async Task TheSwitchAlone_DoesNotTurnAnHttpsRegistry_IntoPlainHttp()
    {
        Skip.If(RegistryProcess.SkipReason() != null, RegistryProcess.SkipReason());
        using RegistryProcess registry = RegistryProcess.Start();
        (string manifest, _) = RegistryPushPullTests.Fixture(_dir);
        // A TLS registry named without plain HTTP stays https:// even when the command allows insecure transport
        // (a mirrors.json registry is not downgraded by a switch given for something else).
        RegistryPushResult pushed = await Push(registry, manifest, Options(registry, allowInsecureTransport: true));
        Assert.Equal(pushed.Layers + 1, pushed.BlobsUploaded);
        Assert.DoesNotContain(_log, l => l.Contains("plain HTTP", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task MirrorsJson_PlainHttpEntry_IsRefusedWithoutTheSwitch_NamingTheFile_AndUsedWithIt()
    {
        Skip.If(RegistryProcess.SkipReason() != null, RegistryProcess.SkipReason());
        using RegistryProcess registry = RegistryProcess.Start(plainHttp: true);
        (string manifest, var files) = RegistryPushPullTests.Fixture(_dir);
        await Push(registry, manifest, Options(registry, allowInsecureTransport: true));
        File.Delete(files["linux-x64"].Path);
        string mirrors = _dir.File("mirrors.json", $$$"""{"mirrors": [{"registry": "oci://{{{registry.Host}}}/tools/secureinstall", "plainHttp": true}]}""");

        VerifiedDownloaderOptions without = Options(registry, allowInsecureTransport: false);
        without.Mirrors = MirrorConfiguration.Load(mirrors);
        var refused = await Assert.ThrowsAsync<InsecureTransportException>(() => Install(without, manifest));
        Assert.Contains($"The registry oci://{registry.Host}/tools/secureinstall is plain HTTP (\"plainHttp\": true in {mirrors})", refused.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_dir.Path, "root", "hello", "1.0.0")));

        // A mirrors.json registry gets its own Docker config entry, over plain HTTP as docker sends it to an insecure registry.
        VerifiedDownloaderOptions with = Options(registry, allowInsecureTransport: true);
        with.Mirrors = MirrorConfiguration.Load(mirrors);
        with.RegistryOnly = true;
        with.RegistryCredential = null;
        string auth = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{RegistryProcess.User}:{RegistryProcess.Password}"));
        with.DockerConfigPath = _dir.File("docker-config.json", "{\"auths\": {\"" + registry.Host + "\": {\"auth\": \"" + auth + "\"}}}");
        InstallResult installed = await Install(with, manifest);
        Assert.Equal(InstallStatus.Installed, installed.Status);
    }

    [Fact]
    public void MirrorsJson_PlainHttpMustBeABoolean()
    {
        string mirrors = _dir.File("mirrors.json", """{"mirrors": [{"registry": "oci://127.0.0.1:5000/tools", "plainHttp": "yes"}]}""");
        var ex = Assert.Throws<MirrorConfigurationException>(() => MirrorConfiguration.Load(mirrors));
        Assert.Equal(ErrorIds.MirrorConfigurationInvalid, ex.ErrorId);
    }
}
