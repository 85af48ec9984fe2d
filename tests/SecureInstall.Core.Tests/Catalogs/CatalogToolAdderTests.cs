using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using SecureInstall.Core.Catalogs;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.Install;
using SecureInstall.Core.Manifests;
using SecureInstall.Core.Tests.Downloads;

namespace SecureInstall.Core.Tests.Catalogs;

/// <summary>
/// Add-PinnedTool's core end to end: a loopback HTTPS server plays GitHub releases (assets and the checksum file built here
/// under the names the definition gives), the real cli/cli definition of ../shared/corpus/aqua-registry, and hostile
/// definitions in a registry folder written by the test.
/// </summary>
public sealed class CatalogToolAdderTests : LoopbackCatalogTest
{
    private const string Existing = "# my tools\ntools:\n  hello:   # keep this comment\n    version: \"1.0\"\n    url: https://example.org/hello-1.0\n    sha256: 1111111111111111111111111111111111111111111111111111111111111111\n    archive: binary\n";

    private static string? CorpusRegistry => TestPaths.Corpus is { } c && Directory.Exists(Path.Combine(c, "aqua-registry")) ? Path.Combine(c, "aqua-registry") : null;

    private static string Sha256(byte[] data) => Convert.ToHexString(SHA256.HashData(data)).ToLowerInvariant();

    private static byte[] TarGz(string path, string content)
    {
        using var buffer = new MemoryStream();
        using (var gz = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gz))
        {
            var entry = new PaxTarEntry(TarEntryType.RegularFile, path) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)), Mode = (UnixFileMode)0x1ED };
            tar.WriteEntry(entry);
        }
        return buffer.ToArray();
    }

    /// <summary>The cli/cli v2.49.2 release as its definition names it: tar.gz on linux, zip elsewhere, darwin spelled macOS.</summary>
    private Dictionary<string, byte[]> ServeCliRelease(bool listEverything = true)
    {
        var assets = new Dictionary<string, byte[]>
        {
            ["gh_2.49.2_linux_amd64.tar.gz"] = TarGz("gh_2.49.2_linux_amd64/bin/gh", "#!/bin/sh\necho gh 2.49.2\n"),
            ["gh_2.49.2_linux_arm64.tar.gz"] = TarGz("gh_2.49.2_linux_arm64/bin/gh", "arm64"),
            ["gh_2.49.2_macOS_amd64.zip"] = Encoding.UTF8.GetBytes("mac amd64"),
            ["gh_2.49.2_macOS_arm64.zip"] = Encoding.UTF8.GetBytes("mac arm64"),
            ["gh_2.49.2_windows_amd64.zip"] = Encoding.UTF8.GetBytes("win amd64"),
            ["gh_2.49.2_windows_arm64.zip"] = Encoding.UTF8.GetBytes("win arm64"),
        };
        var list = new StringBuilder();
        foreach (var (name, data) in assets.Where(a => listEverything || !a.Key.Contains("arm64")))
        {
            list.Append(Sha256(data)).Append("  ").Append(name).Append('\n');
            _server.Map("cli/cli/releases/download/v2.49.2/" + name, c => Serve.File(c, data));
        }
        byte[] listBytes = Encoding.UTF8.GetBytes(list.ToString());
        _server.Map("cli/cli/releases/download/v2.49.2/gh_2.49.2_checksums.txt", c => Serve.File(c, listBytes));
        return assets;
    }

    private CatalogAddRequest Request(string package, string version, string? registry = null, bool whatIf = false, string? tofu = null) => new()
    {
        ManifestPath = ManifestPath, Package = package, Version = version, Registry = registry ?? CorpusRegistry, GitHubBase = _server.HttpsBase,
        WhatIf = whatIf, TrustOnFirstUseReason = tofu,
    };

    [SkippableFact]
    public async Task RealDefinition_PinsEveryPlatformFromTheChecksumFile_AppendsOneEntry_ThenInstallsFromIt()
    {
        Skip.If(CorpusRegistry == null, "../shared/corpus/aqua-registry is not present on this machine");
        Dictionary<string, byte[]> assets = ServeCliRelease();
        File.WriteAllText(ManifestPath, Existing);

        CatalogAddition added = await new CatalogToolAdder(_downloader).AddAsync(Request("cli/cli", "v2.49.2"), CancellationToken.None);

        Assert.Equal("gh", added.Tool);
        Assert.Equal(Platforms.Known.OrderBy(p => p), added.Pins.Select(p => p.Platform).OrderBy(p => p));
        Assert.StartsWith(Existing, added.Text!, StringComparison.Ordinal); // the rest of the file is untouched
        Assert.Contains("commit 4d86e12d6fd055583d34fa3b9eefc28e7166ae59", added.Text!);
        PinnedManifest manifest = new ManifestReader().Read(new StringReader(added.Text!), ManifestPath, _dir.Path);
        PinnedVersion pinned = manifest.Find("gh")!.Resolve("v2.49.2")!;
        Assert.Empty(pinned.Problems);
        foreach (PinnedArtifact a in pinned.Artifacts)
        {
            string name = Uri.UnescapeDataString(a.Url.Segments.Last());
            Assert.Equal(Sha256(assets[name]), a.Sha256);
            Assert.Equal(_server.Https("cli/cli/releases/download/v2.49.2/" + name), a.Url);
        }
        Assert.Equal(new[] { "gh_2.49.2_linux_amd64/bin/gh" }, pinned.ArtifactFor("linux-x64")!.Executables);
        Assert.Equal(new[] { "bin/gh.exe" }, pinned.ArtifactFor("windows-x64")!.Executables);
        // The checksum file was fetched once for all six platforms; no asset was downloaded.
        Assert.Single(_server.Requests, r => r.Path.EndsWith("checksums.txt", StringComparison.Ordinal));
        Assert.DoesNotContain(_server.Requests, r => r.Path.EndsWith(".zip", StringComparison.Ordinal) || r.Path.EndsWith(".tar.gz", StringComparison.Ordinal));

        Assert.Equal("", string.Join("; ", Manifests.ManifestSchemaTests.Validate("tools:\n" + string.Concat(added.Entry.Split('\n').Select(l => "  " + l + "\n"))).Select(e => e.ToString()))); // what editors check the manifest against
        File.WriteAllText(ManifestPath, added.Text!);
        var installer = new ToolInstaller(new ToolInstallerOptions { Root = Path.Combine(_dir.Path, "root"), Platform = "linux-x64" }, _downloader);
        PinnedManifest read = new ManifestReader().ReadFile(ManifestPath);
        InstallResult result = await installer.InstallAsync(installer.Plan(read, new InstallLock(), "gh", null), InstallLock.PathBeside(ManifestPath));
        Assert.Equal(InstallStatus.Installed, result.Status);
        Assert.Equal("#!/bin/sh\necho gh 2.49.2\n", File.ReadAllText(Path.Combine(result.Path, "gh_2.49.2_linux_amd64", "bin", "gh")));
    }

    [SkippableFact]
    public async Task WhatIf_FetchesNothing_AndReportsEachPlatformsUrlAndDigestSource()
    {
        Skip.If(CorpusRegistry == null, "../shared/corpus/aqua-registry is not present on this machine");
        CatalogAddition added = await new CatalogToolAdder(_downloader).AddAsync(Request("cli/cli", "v2.98.0", whatIf: true), CancellationToken.None);
        Assert.Null(added.Text);
        Assert.Empty(_server.Requests);
        Assert.False(File.Exists(ManifestPath));
        CatalogPin linux = added.Pins.Single(p => p.Platform == "linux-x64");
        Assert.Equal("sha256 from " + _server.Https("cli/cli/releases/download/v2.98.0/gh_2.98.0_checksums.txt"), linux.DigestSource);
        Assert.Contains("url: \"" + _server.Https("cli/cli/releases/download/v2.98.0/gh_2.98.0_linux_amd64.tar.gz"), added.Entry);
        // The definition's attestation policy is carried: the entry's signature block, fetched from the API by digest.
        Assert.Contains("scheme: \"github-attestation\"", added.Entry);
        Assert.Contains("workflow: \"cli/cli/.github/workflows/deployment.yml\"", added.Entry);
        Assert.Contains("bundle: \"" + _server.HttpsBase.AbsoluteUri + "api/v3/repos/cli/cli/attestations/sha256:{sha256}\"", added.Entry);
    }

    [SkippableFact]
    public async Task ChecksumFileWithoutTheAsset_IsRefused_AndNothingIsReturnedToWrite()
    {
        Skip.If(CorpusRegistry == null, "../shared/corpus/aqua-registry is not present on this machine");
        ServeCliRelease(listEverything: false);
        CatalogException ex = await Assert.ThrowsAsync<CatalogException>(() => new CatalogToolAdder(_downloader).AddAsync(Request("cli/cli", "v2.49.2"), CancellationToken.None));
        Assert.Equal(ErrorIds.CatalogEntryUnpinned, ex.ErrorId);
        Assert.Matches("does not list gh_2\\.49\\.2_[a-zA-Z]+_arm64", ex.Message);
        Assert.False(File.Exists(ManifestPath));
    }

    /// <summary>A registry folder holding one package, owner/tool, with the given definition body (indented under "- ").</summary>
    private string Registry(string body)
    {
        string file = Path.Combine(_dir.Path, "registry", "pkgs", "owner", "tool", "registry.yaml");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllText(file, "packages:\n  - type: github_release\n    repo_owner: owner\n    repo_name: tool\n" + body);
        return Path.Combine(_dir.Path, "registry");
    }

    [Theory]
    [InlineData("    asset: \"../{{.Version}}/tool\"\n", ErrorIds.CatalogDefinitionInvalid, "not a file name of the release")]
    [InlineData("    asset: \"tool_{{.OS}}\"\n    overrides:\n      - goos: linux\n        asset: \"..\"\n", ErrorIds.CatalogDefinitionInvalid, "not a file name")]
    [InlineData("    asset: \"tool_{{.OS}}_{{.Arch}}\"\n    checksum:\n      type: http\n      url: \"http://example.org/{{.Version}}/sums.txt\"\n", ErrorIds.CatalogDefinitionInvalid, "only https downloads are pinned")]
    [InlineData("    asset: \"tool_{{.OS}}_{{.Arch}}\"\n    checksum:\n      type: http\n      url: \"https://example.org/a/../../{{.Version}}/sums.txt\"\n", ErrorIds.CatalogDefinitionInvalid, "climbs")]
    [InlineData("    asset: \"tool_{{env \\\"HOME\\\"}}\"\n", ErrorIds.CatalogDefinitionUnsupported, "the function 'env'")]
    [InlineData("    asset: \"tool_{{if .OS}}x{{end}}\"\n", ErrorIds.CatalogDefinitionUnsupported, "the 'if' action")]
    public async Task HostileOrUnmappedDefinition_IsRefusedByName_BeforeAnythingIsFetched(string body, string errorId, string reason)
    {
        string registry = Registry(body);
        CatalogException ex = await Assert.ThrowsAsync<CatalogException>(() => new CatalogToolAdder(_downloader).AddAsync(Request("owner/tool", "v1.0.0", registry), CancellationToken.None));
        Assert.Equal(errorId, ex.ErrorId);
        Assert.Contains(reason, ex.Message);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task HttpPackageUrl_IsRefused()
    {
        string file = Path.Combine(_dir.Path, "registry", "pkgs", "owner", "tool", "registry.yaml");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllText(file, "packages:\n  - type: http\n    name: owner/tool\n    url: http://example.org/tool-{{.Version}}-{{.OS}}.tar.gz\n");
        CatalogException ex = await Assert.ThrowsAsync<CatalogException>(() => new CatalogToolAdder(_downloader).AddAsync(Request("owner/tool", "v1.0.0", Path.Combine(_dir.Path, "registry")), CancellationToken.None));
        Assert.Equal(ErrorIds.CatalogDefinitionInvalid, ex.ErrorId);
        Assert.Contains("renders http:", ex.Message);
    }

    [Fact]
    public async Task RegexpChecksumPatternMatchingNothing_IsRefused()
    {
        string registry = Registry("    asset: \"tool_{{.OS}}_{{.Arch}}\"\n    supported_envs: [linux/amd64]\n    checksum:\n      type: github_release\n      asset: SHASUMS\n      algorithm: sha256\n      file_format: regexp\n      pattern:\n        checksum: ^(\\b[A-Fa-f0-9]{64}\\b)\n        file: \"^\\\\b[A-Fa-f0-9]{64}\\\\b\\\\s+(\\\\S+)$\"\n");
        _server.Map("owner/tool/releases/download/v1.0.0/SHASUMS", c => Serve.File(c, Encoding.UTF8.GetBytes(new string('a', 64) + "  other_linux_amd64\n")));
        CatalogException ex = await Assert.ThrowsAsync<CatalogException>(() => new CatalogToolAdder(_downloader).AddAsync(Request("owner/tool", "v1.0.0", registry), CancellationToken.None));
        Assert.Equal(ErrorIds.CatalogEntryUnpinned, ex.ErrorId);
        Assert.Contains("matches nothing for tool_linux_amd64", ex.Message);
    }

    [Fact]
    public async Task RegexpChecksumPattern_PinsTheDigestOnTheAssetsLine()
    {
        string registry = Registry("    asset: \"tool_{{.OS}}_{{.Arch}}\"\n    supported_envs: [linux/amd64]\n    checksum:\n      type: github_release\n      asset: SHASUMS\n      algorithm: sha256\n      file_format: regexp\n      pattern:\n        checksum: ^(\\b[A-Fa-f0-9]{64}\\b)\n        file: \"^\\\\b[A-Fa-f0-9]{64}\\\\b\\\\s+(\\\\S+)$\"\n");
        _server.Map("owner/tool/releases/download/v1.0.0/SHASUMS", c => Serve.File(c, Encoding.UTF8.GetBytes(new string('a', 64) + "  other\n" + new string('B', 64) + "  tool_linux_amd64.exe\n" + new string('c', 64) + "  tool_linux_amd64\n")));
        CatalogAddition added = await new CatalogToolAdder(_downloader).AddAsync(Request("owner/tool", "v1.0.0", registry), CancellationToken.None);
        Assert.Equal(new string('c', 64), Assert.Single(added.Pins).Sha256);
    }

    [Fact]
    public async Task NoChecksumFile_IsRefused_UnlessTrustedOnFirstUse_ThenTheDownloadedBytesArePinnedWithTheReason()
    {
        string registry = Registry("    asset: \"tool_{{.OS}}_{{.Arch}}\"\n    supported_envs: [linux/amd64]\n");
        byte[] data = Encoding.UTF8.GetBytes("the tool");
        _server.Map("owner/tool/releases/download/v1.0.0/tool_linux_amd64", c => Serve.File(c, data));
        CatalogException ex = await Assert.ThrowsAsync<CatalogException>(() => new CatalogToolAdder(_downloader).AddAsync(Request("owner/tool", "v1.0.0", registry), CancellationToken.None));
        Assert.Equal(ErrorIds.CatalogEntryUnpinned, ex.ErrorId);
        Assert.Contains("names no checksum file", ex.Message);

        CatalogAddition added = await new CatalogToolAdder(_downloader).AddAsync(Request("owner/tool", "v1.0.0", registry, tofu: "vendor publishes no checksums; reviewed 2026-12-03"), CancellationToken.None);
        CatalogPin pin = Assert.Single(added.Pins);
        Assert.Equal(Sha256(data), pin.Sha256);
        Assert.Equal(data.Length, pin.Size);
        Assert.Contains("trust on first use", added.Text!);
        Assert.Contains("vendor publishes no checksums; reviewed 2026-12-03", added.Text!);
        Assert.Equal(Sha256(data), new ManifestReader().Read(new StringReader(added.Text!), ManifestPath).Find("tool")!.Versions[0].Artifacts[0].Sha256);

        // The waiver travels: the entry says so, and the lock records it as it records every waiver.
        File.WriteAllText(ManifestPath, added.Text!);
        var installer = new ToolInstaller(new ToolInstallerOptions { Root = Path.Combine(_dir.Path, "root"), Platform = "linux-x64" }, _downloader);
        InstallResult result = await installer.InstallAsync(installer.Plan(new ManifestReader().ReadFile(ManifestPath), new InstallLock(), "tool", null), InstallLock.PathBeside(ManifestPath));
        string waiver = Assert.Single(result.Waivers);
        Assert.Contains("trusted on first use", waiver);
        Assert.Contains("vendor publishes no checksums; reviewed 2026-12-03", waiver);
        Assert.StartsWith(ErrorIds.CatalogEntryUnpinned, waiver, StringComparison.Ordinal);
        Assert.Equal(new[] { waiver }, Assert.Single(InstallLock.Load(InstallLock.PathBeside(ManifestPath)).Entries).Waivers);
    }

    [Fact]
    public async Task MinisignBesideTheArtifact_IsCarriedAsTheManifestsMinisignPolicy()
    {
        string registry = Registry("    asset: \"tool_{{.OS}}_{{.Arch}}.tar.gz\"\n    supported_envs: [linux]\n    checksum:\n      type: github_release\n      asset: sums.txt\n    minisign:\n      type: github_release\n      asset: \"tool_{{.OS}}_{{.Arch}}.tar.gz.minisig\"\n      public_key: RWSGOq2NVecA2UPNdBUZykf1CCb147pkmdtYxgb3Ti+JO/wCYvhbAb/U\n");
        _server.Map("owner/tool/releases/download/v1.0.0/sums.txt", c => Serve.File(c, Encoding.UTF8.GetBytes(new string('a', 64) + "  tool_linux_amd64.tar.gz\n" + new string('b', 64) + "  tool_linux_arm64.tar.gz\n")));
        CatalogAddition added = await new CatalogToolAdder(_downloader).AddAsync(Request("owner/tool", "v1.0.0", registry), CancellationToken.None);
        PinnedTool tool = new ManifestReader().Read(new StringReader(added.Text!), ManifestPath).Find("tool")!;
        Assert.Equal("minisign", tool.Signature!.Scheme);
        Assert.Equal("RWSGOq2NVecA2UPNdBUZykf1CCb147pkmdtYxgb3Ti+JO/wCYvhbAb/U", tool.Signature.Settings["key"]);
        Assert.Equal("{url}.minisig", tool.Signature.Settings["url"]);
    }

    [Fact]
    public async Task ToolAlreadyInTheManifest_IsRefused()
    {
        File.WriteAllText(ManifestPath, "tools:\n  tool:\n    version: \"1\"\n    url: https://example.org/t\n    sha256: " + new string('1', 64) + "\n");
        string registry = Registry("    asset: \"tool_{{.OS}}_{{.Arch}}\"\n    supported_envs: [linux/amd64]\n    checksum:\n      type: github_release\n      asset: sums.txt\n");
        _server.Map("owner/tool/releases/download/v1.0.0/sums.txt", c => Serve.File(c, Encoding.UTF8.GetBytes(new string('a', 64) + "  tool_linux_amd64\n")));
        ManifestFormatException ex = await Assert.ThrowsAsync<ManifestFormatException>(() => new CatalogToolAdder(_downloader).AddAsync(Request("owner/tool", "v1.0.0", registry), CancellationToken.None));
        Assert.Contains("already pinned", ex.Message);
    }

    [Fact]
    public async Task Update_AddsTheNewVersionFromTheSameDefinition_AndRefusesAChangedDigestForAPinnedVersion()
    {
        string registry = Registry("    asset: \"tool_{{trimV .Version}}_{{.OS}}_{{.Arch}}.tar.gz\"\n    supported_envs: [linux]\n    checksum:\n      type: github_release\n      asset: sums.txt\n");
        void Release(string version, char digit) => _server.Map($"owner/tool/releases/download/v{version}/sums.txt", c => Serve.File(c, Encoding.UTF8.GetBytes(
            new string(digit, 64) + $"  tool_{version}_linux_amd64.tar.gz\n" + new string('b', 64) + $"  tool_{version}_linux_arm64.tar.gz\n")));
        Release("1.0.0", 'a');
        Release("1.1.0", 'c');
        var adder = new CatalogToolAdder(_downloader);
        File.WriteAllText(ManifestPath, (await adder.AddAsync(Request("owner/tool", "v1.0.0", registry), CancellationToken.None)).Text!);
        string before = File.ReadAllText(ManifestPath);

        ManifestUpdate update = await adder.UpdateAsync(Request("owner/tool", "v1.1.0", registry), "tool", before, CancellationToken.None);
        Assert.Equal("added", update.Change);
        Assert.StartsWith(before.TrimEnd('\n'), update.Text, StringComparison.Ordinal);
        PinnedTool tool = new ManifestReader().Read(new StringReader(update.Text), ManifestPath).Find("tool")!;
        Assert.Equal(new[] { "v1.0.0", "v1.1.0" }, tool.Versions.Select(v => v.Version));
        Assert.Equal(new string('c', 64), tool.Resolve("v1.1.0")!.ArtifactFor("linux-x64")!.Sha256);
        Assert.Equal(_server.Https("owner/tool/releases/download/v1.1.0/tool_1.1.0_linux_amd64.tar.gz"), tool.Resolve("v1.1.0")!.ArtifactFor("linux-x64")!.Url);

        Assert.Equal("unchanged", (await adder.UpdateAsync(Request("owner/tool", "v1.0.0", registry), "tool", update.Text, CancellationToken.None)).Change);
        Release("1.0.0", 'd'); // the same version re-uploaded with other bytes
        PinnedDigestChangedException ex = await Assert.ThrowsAsync<PinnedDigestChangedException>(() => adder.UpdateAsync(Request("owner/tool", "v1.0.0", registry), "tool", update.Text, CancellationToken.None));
        Assert.Contains("tool_1.0.0_linux_amd64.tar.gz", ex.Message);
    }

    private static string? WingetCheckout()
    {
        string? checkout = TestPaths.Corpus is { } c && Directory.Exists(Path.Combine(c, "winget-pkgs")) ? Path.Combine(c, "winget-pkgs") : null;
        Skip.If(checkout == null, "../shared/corpus/winget-pkgs is not present on this machine");
        return checkout;
    }

    [SkippableFact]
    public async Task Winget_ZipOfPortableFiles_IsPinnedByTheManifestsOwnSha256_WithoutAFetch()
    {
        string? checkout = WingetCheckout();
        var request = new CatalogAddRequest { ManifestPath = ManifestPath, Package = "Casey.Just", Version = "1.58.0", From = "winget", Registry = checkout };
        CatalogAddition added = await new CatalogToolAdder(_downloader).AddAsync(request, CancellationToken.None);
        PinnedVersion pinned = new ManifestReader().Read(new StringReader(added.Text!), ManifestPath).Find("just")!.Resolve("1.58.0")!;
        PinnedArtifact x64 = pinned.ArtifactFor("windows-x64")!;
        Assert.Equal("https://github.com/casey/just/releases/download/1.58.0/just-1.58.0-x86_64-pc-windows-msvc.zip", x64.Url.AbsoluteUri);
        Assert.Equal("759f16fb7aa17c5c8b9594b6d4a8c1a6630dfd042cf2b3ff84841454d3d188dc", x64.Sha256);
        Assert.Equal(new[] { "just.exe" }, x64.Executables);
        Assert.Equal(ArtifactKind.Zip, x64.Kind);
        Assert.Null(pinned.ArtifactFor("linux-x64"));
        Assert.Contains("winget manifest", added.Pins[0].DigestSource);
        Assert.Empty(_server.Requests);

        request.Package = "Microsoft.PowerShell";
        request.Version = "7.6.5.0";
        CatalogAddition pwsh = await new CatalogToolAdder(_downloader).AddAsync(request, CancellationToken.None);
        Assert.DoesNotContain("type: msix", pwsh.Entry); // the wix installer is pinned; msix is not a type SecureInstall runs
    }

    [SkippableFact]
    public async Task Winget_SetupProgram_IsPinnedWithItsInstallerBlock_WhichTheManifestReadsBack()
    {
        string? checkout = WingetCheckout();
        var request = new CatalogAddRequest { ManifestPath = ManifestPath, Package = "GoLang.Go", Version = "1.27.1", From = "winget", Registry = checkout };
        CatalogAddition added = await new CatalogToolAdder(_downloader).AddAsync(request, CancellationToken.None);
        PinnedArtifact x64 = new ManifestReader().Read(new StringReader(added.Text!), ManifestPath).Find("go")!.Resolve("1.27.1")!.ArtifactFor("windows-x64")!;
        Assert.Equal("https://go.dev/dl/go1.27.1.windows-amd64.msi", x64.Url.AbsoluteUri);
        Assert.Equal("54dbabbc910840fce0028779e896cd99a22bdf89463354a1ca0d9288044dc6e7", x64.Sha256);
        Assert.Equal("wix", x64.Installer!.Type);
        Assert.Equal("machine", x64.Installer.Scope);
        Assert.True(x64.Installer.Elevated);
        Assert.Null(x64.Installer.Silent); // msiexec's defaults
        Assert.Empty(_server.Requests);

        // Switches, success codes and the publisher's exit-code meanings travel into the entry and back.
        request.Package = "Kitware.CMake";
        request.Version = "4.4.3";
        request.ManifestPath = Path.Combine(Path.GetDirectoryName(ManifestPath)!, "cmake.yml");
        CatalogAddition cmake = await new CatalogToolAdder(_downloader).AddAsync(request, CancellationToken.None);
        Assert.Equal(ArtifactKind.Zip, new ManifestReader().Read(new StringReader(cmake.Text!), request.ManifestPath).Tools[0].Versions[0].ArtifactFor("windows-x64")!.Kind); // portable first
        request.Package = "Microsoft.VCRedist.2015+.x64";
        request.Version = "14.51.36247.0";
        request.ManifestPath = Path.Combine(Path.GetDirectoryName(ManifestPath)!, "vcredist.yml");
        CatalogAddition vc = await new CatalogToolAdder(_downloader).AddAsync(request, CancellationToken.None);
        PinnedInstaller burn = new ManifestReader().Read(new StringReader(vc.Text!), request.ManifestPath).Tools[0].Versions[0].ArtifactFor("windows-x64")!.Installer!;
        Assert.Equal("burn", burn.Type);
        Assert.Contains(3010, burn.SuccessCodes);
    }

    [Theory]
    [InlineData("type: exe\n", "needs its silent switches")]
    [InlineData("type: msix\n", "is not one of msi, wix, exe")]
    [InlineData("type: inno\n        scope: everyone\n", "is not user or machine")]
    [InlineData("type: inno\n        success_codes: [x]\n", "is not an exit code")]
    [InlineData("type: inno\n        run_as: SYSTEM\n", "'run_as' is not an installer setting")]
    [InlineData("type: nullsoft\n", "linux-x64 cannot have one", "linux-x64")]
    public void ManifestInstallerBlock_ThatCannotRunUnattended_IsRefusedWhenRead(string block, string reason, string platform = "windows-x64")
    {
        string text = $"tools:\n  t:\n    versions:\n      \"1.0\":\n        artifacts:\n          {platform}:\n            url: https://example.org/t.exe\n"
            + $"            sha256: {new string('a', 64)}\n            installer:\n              {block.Replace("\n        ", "\n              ")}";
        ManifestFormatException ex = Assert.Throws<ManifestFormatException>(() => new ManifestReader().Read(new StringReader(text), "tools.yml"));
        Assert.Contains(reason, ex.Message);
    }

    [Fact]
    public void GitHubBase_ComesFromTheArgument_ThenGhHost_ThenGitHub()
    {
        Assert.Equal(new Uri("https://ghe.example.com/"), CatalogToolAdder.GitHubBaseFrom(null, "ghe.example.com"));
        Assert.Equal(new Uri("https://github.com/"), CatalogToolAdder.GitHubBaseFrom(null, null));
        Assert.Equal(new Uri("https://x.example/"), CatalogToolAdder.GitHubBaseFrom(new Uri("https://x.example/"), "ghe.example.com"));
        Assert.Throws<ArgumentException>(() => CatalogToolAdder.GitHubBaseFrom(null, "evil.example/path?"));
    }
}
