using System.Security.Cryptography;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.Install;
using SecureInstall.Core.Manifests;
using SecureInstall.Core.Signatures;

namespace SecureInstall.Core.Tests.Signatures.Authenticode;

/// <summary>Issue 21: a manifest's <c>signature: {scheme: authenticode}</c> through ToolInstaller, enforced on every OS.</summary>
public sealed class AuthenticodePolicyInstallTests(AuthenticodeLab lab) : IClassFixture<AuthenticodeLab>, IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Manifest(string artifact, string pin)
    {
        string sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(artifact)));
        File.Copy(lab.RootFile, Path.Combine(_dir.Path, "publisher-root.pem"), overwrite: true);
        return _dir.File("secureinstall.yml", $"""
            tools:
              tool:
                signature:
                  scheme: authenticode
                  {pin}
                  root: publisher-root.pem
                versions:
                  "1.0":
                    artifacts:
                      windows-x64:
                        url: {new Uri(artifact).AbsoluteUri}
                        sha256: {sha}
                        archive: binary
            """);
    }

    private async Task<InstallResult> Install(string manifestPath)
    {
        using var downloader = new VerifiedDownloader(new VerifiedDownloaderOptions { NoCache = true });
        var installer = new ToolInstaller(new ToolInstallerOptions { Root = Path.Combine(_dir.Path, "home"), Platform = "windows-x64" }, downloader);
        string lockPath = InstallLock.PathBeside(manifestPath);
        InstallPlan plan = installer.Plan(new ManifestReader().ReadFile(manifestPath), InstallLock.Load(lockPath), "tool", null);
        Assert.Contains(plan.Actions, a => a.Contains("Authenticode signature of every executable"));
        return await installer.InstallAsync(plan, lockPath);
    }

    private string Signed(AuthenticodeLab.Identity signer)
    {
        string signed = lab.Sign(lab.UnsignedPe32(), signer);
        string named = Path.Combine(_dir.Path, "tool.exe");
        File.Copy(signed, named, overwrite: true);
        return named;
    }

    [SkippableFact]
    public async Task PinnedSigner_Installs_AndTheLockRecordsTheSigner()
    {
        Skip.If(OperatingSystem.IsWindows(), "WinVerifyTrust does not trust the lab's root; the agreement rule refuses there by design");
        string manifest = Manifest(Signed(lab.Publisher), $"thumbprint: {lab.Publisher.Thumbprint}");

        InstallResult r = await Install(manifest);

        Assert.Contains(r.VerifiedBy, v => v.Contains("Authenticode signature by thumbprint " + lab.Publisher.Thumbprint));
        LockEntry entry = InstallLock.Load(InstallLock.PathBeside(manifest)).Entries.Single();
        Assert.Contains(entry.VerifiedBy, v => v.Contains(lab.Publisher.Thumbprint));
        // Which checks ran is per machine (WinVerifyTrust on Windows only): the lock, which travels, does not say it.
        Assert.DoesNotContain(entry.VerifiedBy, v => v.Contains("managed") || v.Contains("revocation"));
    }

    /// <summary>A PowerShell script artifact (archive: binary) is checked as the PowerShell SIP would, by its name (tool.ps1).</summary>
    private string SignedScript(AuthenticodeLab.Identity signer)
    {
        string source = _dir.File("source.ps1", "Write-Output 'tool 1.0'\r\n");
        string named = Path.Combine(_dir.Path, "tool.ps1");
        File.Copy(lab.Sign(source, signer), named, overwrite: true);
        return named;
    }

    [SkippableFact]
    public async Task ScriptArtifact_PinnedSigner_Installs_AndAnotherSignerIsRefused()
    {
        Skip.If(OperatingSystem.IsWindows(), "WinVerifyTrust does not trust the lab's root; the agreement rule refuses there by design");
        InstallResult r = await Install(Manifest(SignedScript(lab.Publisher), $"thumbprint: {lab.Publisher.Thumbprint}"));
        Assert.Contains(r.VerifiedBy, v => v.Contains("Authenticode signature by thumbprint " + lab.Publisher.Thumbprint));

        string other = Manifest(SignedScript(lab.SecondPublisher), $"thumbprint: {lab.Publisher.Thumbprint}");
        File.Delete(InstallLock.PathBeside(other));
        Directory.Delete(Path.Combine(_dir.Path, "home"), recursive: true);
        await Assert.ThrowsAsync<SignerNotTrustedException>(() => Install(other));
        Assert.False(Directory.Exists(Path.Combine(_dir.Path, "home", "tools", "tool", "1.0")));
    }

    [SkippableFact]
    public async Task AnotherSigner_StopsTheInstall_PlacesNothing_AndWritesNoLock()
    {
        string manifest = Manifest(Signed(lab.SecondPublisher), $"thumbprint: {lab.Publisher.Thumbprint}");

        var ex = await Assert.ThrowsAsync<SignerNotTrustedException>(() => Install(manifest));

        Assert.Equal(ErrorIds.SignerNotTrusted, ex.ErrorId);
        Assert.False(Directory.Exists(Path.Combine(_dir.Path, "home", "tools", "tool", "1.0")));
        Assert.False(File.Exists(InstallLock.PathBeside(manifest)));
    }

    [SkippableFact]
    public async Task AnUnsignedExecutable_StopsTheInstall()
    {
        LabSkip();
        string unsigned = Path.Combine(_dir.Path, "tool.exe");
        File.Copy(lab.UnsignedPe32(), unsigned, overwrite: true);
        string manifest = Manifest(unsigned, $"subject: \"{lab.Publisher.Cert.Subject}\"");

        var ex = await Assert.ThrowsAsync<SignatureInvalidException>(() => Install(manifest));

        Assert.Contains("no Authenticode signature", ex.Reason);
        Assert.False(File.Exists(InstallLock.PathBeside(manifest)));
    }

    [Fact]
    public void APolicyPinningNoSigner_IsRefusedAtPlanTime()
    {
        string manifest = _dir.File("m.yml", $"tools:\n  a:\n    signature:\n      scheme: authenticode\n    version: \"1\"\n    url: https://e.test/a.exe\n    sha256: {new string('a', 64)}\n");
        using var downloader = new VerifiedDownloader(new VerifiedDownloaderOptions { NoCache = true });
        var installer = new ToolInstaller(new ToolInstallerOptions { Root = Path.Combine(_dir.Path, "home"), Platform = "windows-x64" }, downloader);

        var ex = Assert.Throws<SignatureFormatException>(() => installer.Plan(new ManifestReader().ReadFile(manifest), new InstallLock(), "a", null));

        Assert.Contains("pins no signer", ex.Reason);
    }

    [Fact]
    public void APolicyOnAnArchiveNamingNoExecutable_IsRefusedAtPlanTime_ItWouldCheckNothing()
    {
        // Review finding: with no bin: the list of executables was empty, nothing was checked, and the lock said "verified".
        string manifest = _dir.File("m.yml", $"tools:\n  a:\n    signature:\n      scheme: authenticode\n      thumbprint: {new string('A', 40)}\n    version: \"1\"\n    url: https://e.test/a.zip\n    sha256: {new string('a', 64)}\n");
        using var downloader = new VerifiedDownloader(new VerifiedDownloaderOptions { NoCache = true });
        var installer = new ToolInstaller(new ToolInstallerOptions { Root = Path.Combine(_dir.Path, "home"), Platform = "windows-x64" }, downloader);

        var ex = Assert.Throws<InstallException>(() => installer.Plan(new ManifestReader().ReadFile(manifest), new InstallLock(), "a", null));

        Assert.Equal(ErrorIds.ManifestInvalid, ex.ErrorId);
        Assert.Contains("bin:", ex.Message);
        Assert.False(Directory.Exists(Path.Combine(_dir.Path, "home")));
    }

    private static void LabSkip() => AuthenticodeLab.SkipWithoutTool();

    [SkippableFact]
    public async Task SignedMsiArtifact_Installs_VerifiedAsAnMsiByItsContent()
    {
        Skip.If(OperatingSystem.IsWindows(), "WinVerifyTrust does not trust the lab's root; the agreement rule refuses there by design");
        string msi = Path.Combine(_dir.Path, "setup.msi");
        File.Copy(lab.Sign(lab.UnsignedMsi(), lab.Publisher), msi);
        string manifest = Manifest(msi, $"thumbprint: {lab.Publisher.Thumbprint}");

        InstallResult r = await Install(manifest);

        Assert.Contains(r.VerifiedBy, v => v.Contains("Authenticode signature by thumbprint " + lab.Publisher.Thumbprint));
    }

    [SkippableFact]
    public async Task TamperedCabinetArtifact_StopsTheInstall_PlacesNothing()
    {
        string cab = Path.Combine(_dir.Path, "drivers.cab");
        File.Copy(lab.Sign(lab.UnsignedCab(), lab.Publisher), cab);
        byte[] bytes = File.ReadAllBytes(cab);
        int at = bytes.AsSpan().IndexOf(AuthenticodeLab.PayloadMarker);
        bytes[at] ^= 1;
        File.WriteAllBytes(cab, bytes);
        string manifest = Manifest(cab, $"thumbprint: {lab.Publisher.Thumbprint}");

        var ex = await Assert.ThrowsAsync<SignatureInvalidException>(() => Install(manifest));

        Assert.Contains("cabinet hash", ex.Message);
        Assert.False(Directory.Exists(Path.Combine(_dir.Path, "home", "tools", "tool", "1.0")));
        Assert.False(File.Exists(InstallLock.PathBeside(manifest)));
    }
}
