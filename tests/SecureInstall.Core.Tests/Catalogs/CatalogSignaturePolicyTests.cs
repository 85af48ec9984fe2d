using System.Text;
using SecureInstall.Core.Catalogs;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.Install;
using SecureInstall.Core.Manifests;
using SecureInstall.Core.Tests.Downloads;
using SecureInstall.Core.Tests.Signatures.Sigstore;

namespace SecureInstall.Core.Tests.Catalogs;

/// <summary>
/// Issue 24: an aqua package's github_artifact_attestations policy is carried into the entry (scheme github-attestation,
/// the package repository and signer workflow, the attestation fetched from the GitHub API by the pinned SHA-256), and
/// Install-PinnedTool enforces it. Real signed material: the sigstore-conformance case happy-path-intoto-in-dsse-v3 (an
/// SLSA v1 provenance over a.txt, signed on the public-good instance by a GitHub Actions workflow of
/// sigstore-conformance/extremely-dangerous-public-oidc-beacon), read in place from ../shared/corpus. A loopback HTTPS
/// server plays the GitHub Enterprise Server the entry names with --github-base: the release and its API.
/// </summary>
public sealed class CatalogSignaturePolicyTests : LoopbackCatalogTest
{
    private const string Owner = "sigstore-conformance";
    private const string Repo = "extremely-dangerous-public-oidc-beacon";
    private const string Workflow = Owner + "/" + Repo + "/.github/workflows/extremely-dangerous-oidc-beacon.yml";
    private const string ArtifactSha256 = "a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf";
    private static string? CaseDir => SigstoreConformanceTests.CasesDir is string d && Directory.Exists(Path.Combine(d, "happy-path-intoto-in-dsse-v3"))
        ? Path.Combine(d, "happy-path-intoto-in-dsse-v3") : null;

    private const string AttestationPath = "api/v3/repos/" + Owner + "/" + Repo + "/attestations/sha256:" + ArtifactSha256;

    /// <summary>A registry holding the beacon package: the raw asset a.txt, a checksum file, and the given attestation policy.</summary>
    private string Registry(string signerWorkflow = Workflow, string? policy = null)
    {
        string file = Path.Combine(_dir.Path, "registry", "pkgs", Owner, Repo, "registry.yaml");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllText(file, $"packages:\n  - type: github_release\n    repo_owner: {Owner}\n    repo_name: {Repo}\n    asset: a.txt\n    format: raw\n"
            + "    supported_envs: [linux/amd64]\n    files:\n      - name: beacon\n    checksum:\n      type: github_release\n      asset: SHA256SUMS\n      algorithm: sha256\n"
            + (policy ?? $"    github_artifact_attestations:\n      signer_workflow: {signerWorkflow}\n"));
        return Path.Combine(_dir.Path, "registry");
    }

    /// <summary>The release (a.txt, SHA256SUMS) and, unless <paramref name="attestation"/> is false, the API's answer for a.txt's digest.</summary>
    private void ServeRelease(bool attestation = true)
    {
        byte[] artifact = File.ReadAllBytes(Path.Combine(SigstoreConformanceTests.CasesDir!, "a.txt"));
        _server.Map($"{Owner}/{Repo}/releases/download/v1.0.0/a.txt", c => Serve.File(c, artifact));
        _server.Map($"{Owner}/{Repo}/releases/download/v1.0.0/SHA256SUMS", c => Serve.File(c, Encoding.UTF8.GetBytes(ArtifactSha256 + "  a.txt\n")));
        if (!attestation) return;
        // What GET /repos/OWNER/REPO/attestations/sha256:DIGEST answers: {"attestations":[{"bundle":{…},"repository_id":…}]}.
        string bundle = File.ReadAllText(Path.Combine(CaseDir!, "bundle.sigstore.json"));
        byte[] answer = Encoding.UTF8.GetBytes("{\"attestations\":[{\"bundle\":" + bundle + ",\"repository_id\":1}]}");
        _server.Map(AttestationPath, c => Serve.File(c, answer, contentType: "application/json"));
    }

    private CatalogAddRequest Request(string registry, bool whatIf = false) => new()
    {
        ManifestPath = ManifestPath, Package = Owner + "/" + Repo, Version = "v1.0.0", Registry = registry, GitHubBase = _server.HttpsBase, WhatIf = whatIf,
    };

    private async Task<InstallResult> AddThenInstall(string registry)
    {
        CatalogAddition added = await new CatalogToolAdder(_downloader).AddAsync(Request(registry), CancellationToken.None);
        File.WriteAllText(ManifestPath, added.Text!);
        var installer = new ToolInstaller(new ToolInstallerOptions { Root = Path.Combine(_dir.Path, "root"), Platform = "linux-x64" }, _downloader);
        PinnedManifest read = new ManifestReader().ReadFile(ManifestPath);
        return await installer.InstallAsync(installer.Plan(read, new InstallLock(), added.Tool, null), InstallLock.PathBeside(ManifestPath));
    }

    [SkippableFact]
    public async Task Attestations_AreCarriedAsTheGitHubAttestationPolicy_FetchedByDigestFromTheApi_AndTheInstallVerifiesThem()
    {
        Skip.If(CaseDir == null, "../shared/corpus/sigstore-conformance is not present on this machine");
        ServeRelease();
        CatalogAddition added = await new CatalogToolAdder(_downloader).AddAsync(Request(Registry()), CancellationToken.None);

        Assert.Equal("beacon", added.Tool); // named after its one command (files[].name)
        PinnedTool tool = new ManifestReader().Read(new StringReader(added.Text!), ManifestPath).Find(added.Tool)!;
        Assert.Equal("github-attestation", tool.Signature!.Scheme);
        Assert.Equal(Owner + "/" + Repo, tool.Signature.Settings["repository"]);
        Assert.Equal(Workflow, tool.Signature.Settings["workflow"]);
        Assert.Equal(_server.HttpsBase.AbsoluteUri + $"api/v3/repos/{Owner}/{Repo}/attestations/sha256:{{sha256}}", tool.Signature.Settings["bundle"]);
        Assert.DoesNotContain(added.NotCarried, n => n.Contains("github_artifact_attestations"));

        File.WriteAllText(ManifestPath, added.Text!);
        var installer = new ToolInstaller(new ToolInstallerOptions { Root = Path.Combine(_dir.Path, "root"), Platform = "linux-x64" }, _downloader);
        InstallResult result = await installer.InstallAsync(installer.Plan(new ManifestReader().ReadFile(ManifestPath), new InstallLock(), added.Tool, null), InstallLock.PathBeside(ManifestPath));
        Assert.Equal(InstallStatus.Installed, result.Status);
        Assert.Contains(result.VerifiedBy, v => v.Contains("extremely-dangerous-oidc-beacon.yml"));
        // A raw asset is installed under the command the definition names (files[].name), not the asset's file name.
        Assert.Equal(new[] { "beacon" }, tool.Resolve("v1.0.0")!.ArtifactFor("linux-x64")!.Executables);
        Assert.True(File.Exists(Path.Combine(result.Path, "beacon")));
        Assert.True(File.Exists(InstallRootLayout.ShimPath(Path.Combine(_dir.Path, "root"), "beacon")));
        Assert.Single(_server.RequestsTo(AttestationPath));
        // The lock keeps the attestation, so Test-PinnedTool re-verifies it offline.
        InstallLock written = InstallLock.Load(InstallLock.PathBeside(ManifestPath));
        Assert.NotNull(Assert.Single(written.Entries).SigstoreBundle);
    }

    /// <summary>Newer API answers name the bundle by bundle_url (GitHub stores it snappy-compressed) instead of giving it inline.</summary>
    private void ServeAttestationByUrl(Uri bundleUrl, byte[]? served)
    {
        if (served != null) _server.Map(bundleUrl.AbsolutePath, c => Serve.File(c, served));
        byte[] answer = Encoding.UTF8.GetBytes("{\"attestations\":[{\"bundle_url\":\"" + bundleUrl.AbsoluteUri + "\",\"repository_id\":1}]}");
        _server.Map(AttestationPath, c => Serve.File(c, answer, contentType: "application/json"));
    }

    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AnswerWithBundleUrl_FetchesTheBundle_VerifiesItAsAnInlineOne_AndTheLockKeepsItInline(bool snappyCompressed)
    {
        Skip.If(CaseDir == null, "../shared/corpus/sigstore-conformance is not present on this machine");
        ServeRelease(attestation: false);
        byte[] bundle = File.ReadAllBytes(Path.Combine(CaseDir!, "bundle.sigstore.json"));
        Uri url = _server.Https("blobs/attestation-1");
        ServeAttestationByUrl(url, snappyCompressed ? Signatures.Sigstore.SnappyBlockTests.Encode(bundle) : bundle);

        InstallResult result = await AddThenInstall(Registry());
        Assert.Equal(InstallStatus.Installed, result.Status);
        Assert.Contains(result.VerifiedBy, v => v.Contains("extremely-dangerous-oidc-beacon.yml"));
        Assert.Single(_server.RequestsTo("blobs/attestation-1"));
        string kept = Assert.Single(InstallLock.Load(InstallLock.PathBeside(ManifestPath)).Entries).SigstoreBundle!;
        Assert.DoesNotContain("bundle_url", kept);
        Assert.Single(Core.Signatures.Sigstore.SigstoreBundle.ParseAll(Encoding.UTF8.GetBytes(kept), "lock"));
    }

    [SkippableFact]
    public async Task BundleUrl_ServingAnotherArtifactsBundle_FailsTheInstallClosed()
    {
        Skip.If(CaseDir == null, "../shared/corpus/sigstore-conformance is not present on this machine");
        ServeRelease(attestation: false);
        // A real bundle, but another signer's over another artifact (the sigstore-js demo): verification refuses it.
        byte[] other = File.ReadAllBytes(Path.Combine(TestPaths.RepositoryRoot, "tests", "fixtures", "sigstore", "sigstore-js-demo-chain-with-root", "bundle.sigstore.json"));
        ServeAttestationByUrl(_server.Https("blobs/attestation-1"), Signatures.Sigstore.SnappyBlockTests.Encode(other));
        await Assert.ThrowsAnyAsync<Core.Signatures.SignatureVerificationException>(() => AddThenInstall(Registry()));
        Assert.False(Directory.Exists(Path.Combine(_dir.Path, "root", "beacon", "v1.0.0")));
        Assert.False(File.Exists(InstallLock.PathBeside(ManifestPath)));
    }

    [SkippableFact]
    public async Task BundleUrl_OverPlainHttp_IsRefused_AndNotFetched()
    {
        Skip.If(CaseDir == null, "../shared/corpus/sigstore-conformance is not present on this machine");
        ServeRelease(attestation: false);
        ServeAttestationByUrl(_server.Http("blobs/attestation-1"), File.ReadAllBytes(Path.Combine(CaseDir!, "bundle.sigstore.json")));
        var ex = await Assert.ThrowsAsync<Core.Signatures.SignatureFormatException>(() => AddThenInstall(Registry()));
        Assert.Contains("is not an absolute https URL", ex.Message);
        Assert.Empty(_server.RequestsTo("blobs/attestation-1"));
        Assert.False(Directory.Exists(Path.Combine(_dir.Path, "root", "beacon", "v1.0.0")));
    }

    [SkippableFact]
    public async Task AnotherSignerWorkflow_FailsTheInstallClosed_AndInstallsNothing()
    {
        Skip.If(CaseDir == null, "../shared/corpus/sigstore-conformance is not present on this machine");
        ServeRelease();
        SecureInstallException ex = await Assert.ThrowsAnyAsync<SecureInstallException>(() => AddThenInstall(Registry(Owner + "/" + Repo + "/.github/workflows/release.yml")));
        Assert.Contains("signer workflow", ex.Message);
        Assert.False(Directory.Exists(Path.Combine(_dir.Path, "root", "beacon", "v1.0.0"))); // no version installed
        Assert.False(File.Exists(InstallLock.PathBeside(ManifestPath)));
    }

    [SkippableFact]
    public async Task NoAttestationForTheDigest_FailsTheInstallClosed()
    {
        Skip.If(CaseDir == null, "../shared/corpus/sigstore-conformance is not present on this machine");
        ServeRelease(attestation: false);
        SecureInstallException ex = await Assert.ThrowsAnyAsync<SecureInstallException>(() => AddThenInstall(Registry()));
        Assert.Contains("404", ex.Message);
        Assert.False(Directory.Exists(Path.Combine(_dir.Path, "root", "beacon", "v1.0.0"))); // no version installed
    }

    [Fact]
    public async Task WhatIf_ShowsThePolicyPerPlatform_AndFetchesNothing()
    {
        CatalogAddition added = await new CatalogToolAdder(_downloader).AddAsync(Request(Registry(), whatIf: true), CancellationToken.None);
        Assert.Empty(_server.Requests);
        Assert.Contains("github-attestation", added.Signature);
        Assert.Contains("scheme: \"github-attestation\"", added.Entry);
        Assert.Contains(Workflow, added.Entry);
    }

    private const string Cosign = "    cosign:\n      bundle:\n        type: github_release\n        asset: \"{{.Asset}}.sigstore.json\"\n      opts:\n"
        + "        - --certificate-identity\n        - " + SigstoreConformanceTests.DefaultIdentity + "\n        - --certificate-oidc-issuer\n        - " + SigstoreConformanceTests.DefaultIssuer + "\n";

    [SkippableFact]
    public async Task CosignBundleBesideTheArtifact_IsCarriedAsTheSigstorePolicy_AndTheInstallVerifiesIt()
    {
        Skip.If(CaseDir == null, "../shared/corpus/sigstore-conformance is not present on this machine");
        ServeRelease(attestation: false);
        // A message-signature bundle over a.txt by the conformance beacon's workflow, as `cosign sign-blob --bundle` writes.
        byte[] bundle = File.ReadAllBytes(Path.Combine(SigstoreConformanceTests.CasesDir!, "happy-path-v0.3", "bundle.sigstore.json"));
        _server.Map($"{Owner}/{Repo}/releases/download/v1.0.0/a.txt.sigstore.json", c => Serve.File(c, bundle));
        InstallResult result = await AddThenInstall(Registry(policy: Cosign));
        PinnedTool tool = new ManifestReader().ReadFile(ManifestPath).Find("beacon")!;
        Assert.Equal("sigstore", tool.Signature!.Scheme);
        Assert.Equal(SigstoreConformanceTests.DefaultIdentity, tool.Signature.Settings["identity"]);
        Assert.Equal(SigstoreConformanceTests.DefaultIssuer, tool.Signature.Settings["issuer"]);
        Assert.Equal("{url}.sigstore.json", tool.Signature.Settings["bundle"]);
        Assert.Equal(InstallStatus.Installed, result.Status);
        Assert.Contains(result.VerifiedBy, v => v.Contains("Sigstore bundle"));

        // A bundle over other bytes (d.txt of another conformance case): the install fails closed.
        byte[] other = File.ReadAllBytes(Path.Combine(SigstoreConformanceTests.CasesDir!, "intoto-with-custom-trust-root", "bundle.sigstore.json"));
        _server.Map($"{Owner}/{Repo}/releases/download/v1.0.0/a.txt.sigstore.json", c => Serve.File(c, other));
        File.Delete(InstallLock.PathBeside(ManifestPath));
        Directory.Delete(Path.Combine(_dir.Path, "root"), recursive: true);
        var installer = new ToolInstaller(new ToolInstallerOptions { Root = Path.Combine(_dir.Path, "root"), Platform = "linux-x64" }, _downloader);
        await Assert.ThrowsAnyAsync<SecureInstallException>(() => installer.InstallAsync(installer.Plan(new ManifestReader().ReadFile(ManifestPath), new InstallLock(), "beacon", null), InstallLock.PathBeside(ManifestPath)));
        Assert.False(Directory.Exists(Path.Combine(_dir.Path, "root", "beacon", "v1.0.0")));
    }

    [Theory]
    [InlineData("    cosign:\n      bundle:\n        type: github_release\n        asset: \"{{.Asset}}.bundle\"\n      opts:\n        - --certificate-identity\n        - https://github.com/o/r/.github/workflows/release.yml@refs/tags/{{.Version}}\n        - --certificate-oidc-issuer\n        - https://token.actions.githubusercontent.com\n",
        "identity_regex: \"^https://github\\\\.com/o/r/\\\\.github/workflows/release\\\\.yml@refs/tags/[^@]+$\"", null)]
    [InlineData("    cosign:\n      opts:\n        - --certificate-identity\n        - https://github.com/o/r/.github/workflows/release.yml@refs/tags/{{.Version}}\n        - --certificate-oidc-issuer\n        - https://token.actions.githubusercontent.com\n        - --signature\n        - https://github.com/o/r/releases/download/{{.Version}}/a.txt.sig\n        - --certificate\n        - https://github.com/o/r/releases/download/{{.Version}}/a.txt.pem\n",
        null, "cosign: the definition gives no Sigstore bundle")]
    [InlineData("    cosign:\n      bundle:\n        type: github_release\n        asset: \"{{.Asset}}.bundle\"\n", null, "names no certificate identity")]
    [InlineData("    slsa_provenance:\n      type: github_release\n      asset: multiple.intoto.jsonl\n", "provenance: \"multiple.intoto.jsonl\"", null)]
    [InlineData("    slsa_provenance:\n      type: github_release\n      asset: \"{{.Asset}}.intoto.jsonl\"\n", "provenance: \"{url}.intoto.jsonl\"", null)]
    [InlineData("    slsa_provenance:\n      type: github_release\n      asset: \"beacon-{{.Version}}.intoto.jsonl\"\n", "provenance: \"beacon-{version}.intoto.jsonl\"", null)]
    [InlineData("    slsa_provenance:\n      type: github_release\n      asset: multiple.intoto.jsonl\n", "source_uri: \"github.com/" + Owner + "/" + Repo + "\"", null)]
    [InlineData("    slsa_provenance:\n      type: github_release\n      asset: \"beacon-{{.SemVer}}.intoto.jsonl\"\n", null, "holds the version without its 'v'")]
    [InlineData("    slsa_provenance:\n      type: github_release\n      asset: multiple.intoto.jsonl\n      source_uri: gitlab.com/o/r\n", null, "is not github.com/OWNER/REPO")]
    [InlineData("    slsa_provenance:\n      type: http\n      url: https://elsewhere.example/multiple.intoto.jsonl\n", null, "is not in the artifact's release")]
    public async Task WhatIf_ShowsTheCarriedPolicy_OrNamesWhyNot(string policy, string? entryHas, string? notCarried)
    {
        CatalogAddition added = await new CatalogToolAdder(_downloader).AddAsync(Request(Registry(policy: policy), whatIf: true), CancellationToken.None);
        Assert.Empty(_server.Requests);
        if (entryHas != null) Assert.Contains(entryHas, added.Entry);
        if (notCarried != null)
        {
            Assert.Contains(added.NotCarried, n => n.Contains(notCarried));
            Assert.Null(added.Signature);
        }
    }

    [Fact]
    public void GitHubComReleases_ReadAttestationsFromApiGitHubCom()
    {
        Assert.Equal(new Uri("https://api.github.com/repos/o/r/attestations/"), Core.Catalogs.Aqua.AquaResolver.AttestationsApi(new Uri("https://github.com/"), "o", "r", "here"));
        Assert.Equal(new Uri("https://ghe.example.com/api/v3/repos/o/r/attestations/"), Core.Catalogs.Aqua.AquaResolver.AttestationsApi(new Uri("https://ghe.example.com/"), "o", "r", "here"));
    }
}
