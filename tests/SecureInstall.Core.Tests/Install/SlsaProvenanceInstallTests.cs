using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using SecureInstall.Core.Install;
using SecureInstall.Core.Manifests;
using SecureInstall.Core.Signatures;
using SecureInstall.Core.Tests.Catalogs;
using SecureInstall.Core.Tests.Downloads;
using SecureInstall.Core.Tests.Signatures.Sigstore;

namespace SecureInstall.Core.Tests.Install;

/// <summary>
/// <c>signature: {scheme: slsa-provenance}</c> end to end through ToolInstaller. No Rekor runs here: a loopback HTTPS
/// server stands in for Rekor's API (POST /api/v1/index/retrieve, GET /api/v1/log/entries/UUID) and answers with a real
/// entry, the sigstore-conformance case happy-path-intoto-in-dsse-v3's, split from its bundle; its envelope is served
/// as the release's *.intoto.jsonl. The signer is the conformance beacon workflow, named as the builder; the default
/// builders (slsa-github-generator's) must refuse it.
/// </summary>
public sealed class SlsaProvenanceInstallTests : LoopbackCatalogTest
{
    private const string Source = "github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon";
    private const string Builder = @"https://github\.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/\.github/workflows/extremely-dangerous-oidc-beacon\.yml@refs/heads/main";
    private const string ArtifactSha256 = "a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf";

    private static string? CaseDir => SigstoreConformanceTests.CasesDir is string d && Directory.Exists(Path.Combine(d, "happy-path-intoto-in-dsse-v3"))
        ? Path.Combine(d, "happy-path-intoto-in-dsse-v3") : null;

    private readonly List<string> _indexQueries = new();

    private static JsonNode Bundle() => JsonNode.Parse(File.ReadAllText(Path.Combine(CaseDir!, "bundle.sigstore.json")))!;

    /// <summary>Rekor's entry UUID: the hex RFC 6962 leaf hash of the canonicalized body.</summary>
    private static string Uuid(JsonObject entry) =>
        Convert.ToHexStringLower(SHA256.HashData(new byte[] { 0 }.Concat(Convert.FromBase64String(entry["body"]!.GetValue<string>())).ToArray()));

    private void ServeRelease(Action<JsonObject>? tamper = null, string? indexAnswer = null)
    {
        JsonNode bundle = Bundle();
        _server.Map("rel/a.txt", c => Serve.File(c, File.ReadAllBytes(Path.Combine(SigstoreConformanceTests.CasesDir!, "a.txt"))));
        _server.Map("rel/a.txt.intoto.jsonl", c => Serve.File(c, SlsaProvenanceTests.EnvelopeLine(bundle)));
        JsonObject entry = SlsaProvenanceTests.RekorEntry(bundle);
        string uuid = Uuid(entry);
        tamper?.Invoke(entry);
        _server.Map("rekor/api/v1/index/retrieve", async c =>
        {
            using var reader = new StreamReader(c.Request.Body);
            string body = await reader.ReadToEndAsync();
            lock (_indexQueries) _indexQueries.Add(c.Request.Method + " " + body);
            if (c.Request.Method != "POST") { c.Response.StatusCode = 405; return; }
            await Serve.File(c, Encoding.UTF8.GetBytes(indexAnswer ?? $"[\"{uuid}\"]"), contentType: "application/json");
        });
        _server.Map("rekor/api/v1/log/entries/" + uuid, c => Serve.File(c, SlsaProvenanceTests.RekorAnswer(entry), contentType: "application/json"));
    }

    private string Manifest(string? builder = Builder)
    {
        File.WriteAllText(ManifestPath, $"""
            tools:
              a:
                signature:
                  scheme: slsa-provenance
                  provenance: "{'{'}url{'}'}.intoto.jsonl"
                  source_uri: {Source}
                  rekor: "{_server.Https("rekor").AbsoluteUri}"
            {(builder == null ? "" : $"      builder: '{builder}'\n")}    versions:
                  "1.0":
                    artifacts:
                      linux-x64:
                        url: {_server.Https("rel/a.txt").AbsoluteUri}
                        sha256: {ArtifactSha256}
                        archive: binary
            """);
        return ManifestPath;
    }

    private async Task<InstallResult> Install(string manifest, string? source = null)
    {
        var installer = new ToolInstaller(new ToolInstallerOptions { Root = Path.Combine(_dir.Path, "root"), Platform = "linux-x64", Source = source }, _downloader);
        string lockPath = InstallLock.PathBeside(manifest);
        return await installer.InstallAsync(installer.Plan(new ManifestReader().ReadFile(manifest), InstallLock.Load(lockPath), "a", null), lockPath);
    }

    private void AssertNothingInstalled()
    {
        Assert.False(Directory.Exists(Path.Combine(_dir.Path, "root", "a", "1.0")));
        Assert.False(File.Exists(InstallLock.PathBeside(ManifestPath)));
    }

    [SkippableFact]
    public async Task Provenance_IsPairedWithItsRekorEntry_Verified_AndKeptInTheLockForOfflineReVerification()
    {
        Skip.If(CaseDir == null, "../shared/corpus/sigstore-conformance is not present on this machine");
        ServeRelease();
        InstallResult result = await Install(Manifest());
        Assert.Equal(InstallStatus.Installed, result.Status);
        Assert.Contains(result.VerifiedBy, v => v.Contains("SLSA provenance") && v.Contains("extremely-dangerous-oidc-beacon.yml") && v.Contains("Rekor entry 155690850"));
        Assert.Equal(new[] { "POST {\"hash\":\"sha256:" + ArtifactSha256 + "\"}" }, _indexQueries);

        LockEntry entry = Assert.Single(InstallLock.Load(InstallLock.PathBeside(ManifestPath)).Entries);
        Assert.Equal("slsa-provenance", entry.SignaturePolicy!["scheme"]);
        int requests = _server.Requests.Count;
        Assert.NotNull(InstalledToolVerifier.VerifyRecordedSignature(entry)); // offline: the assembled bundle is in the lock
        Assert.Equal(requests, _server.Requests.Count);
        entry.Sha256 = new string('0', 64);
        Assert.ThrowsAny<SecureInstallException>(() => InstalledToolVerifier.VerifyRecordedSignature(entry));
    }

    [SkippableFact]
    public async Task SavePinnedTool_KeepsTheProvenancePairedWithItsEntry_AndTheOfflineInstallVerifiesItWithoutRekor()
    {
        Skip.If(CaseDir == null, "../shared/corpus/sigstore-conformance is not present on this machine");
        ServeRelease();
        string manifest = Manifest();
        string saved = Path.Combine(_dir.Path, "offline");
        await new ToolBundle(_downloader).SaveAsync(manifest, PinnedArtifactResolver.Select(new ManifestReader().ReadFile(manifest), Array.Empty<string>(), null, new[] { "linux-x64" }), saved);
        Assert.Single(Directory.GetFiles(saved, "a.txt.intoto.jsonl", SearchOption.AllDirectories));
        int rekorRequests = _server.Requests.Count(r => r.Path.StartsWith("/rekor/", StringComparison.Ordinal));
        InstallResult r = await Install(Path.Combine(saved, "tools.yml"), saved);
        Assert.Contains(r.VerifiedBy, v => v.Contains("SLSA provenance"));
        Assert.Equal(rekorRequests, _server.Requests.Count(q => q.Path.StartsWith("/rekor/", StringComparison.Ordinal)));
    }

    [SkippableFact]
    public async Task TheDefaultBuilders_AreSlsaGithubGenerators_AnyOtherSignerFailsClosed()
    {
        Skip.If(CaseDir == null, "../shared/corpus/sigstore-conformance is not present on this machine");
        ServeRelease();
        await Assert.ThrowsAsync<SignerNotTrustedException>(() => Install(Manifest(builder: null)));
        AssertNothingInstalled();
    }

    [SkippableFact]
    public async Task ARekorAnswerThatWasAltered_FailsClosed()
    {
        Skip.If(CaseDir == null, "../shared/corpus/sigstore-conformance is not present on this machine");
        ServeRelease(tamper: e => e["integratedTime"] = e["integratedTime"]!.GetValue<long>() - 3600);
        await Assert.ThrowsAsync<SignatureInvalidException>(() => Install(Manifest()));
        AssertNothingInstalled();
    }

    [SkippableTheory]
    [InlineData("[]")]
    [InlineData("[\"../../../rel/a.txt\"]")]
    public async Task NoEntry_OrAHostileIndexAnswer_FailsClosed(string answer)
    {
        Skip.If(CaseDir == null, "../shared/corpus/sigstore-conformance is not present on this machine");
        ServeRelease(indexAnswer: answer);
        await Assert.ThrowsAnyAsync<SecureInstallException>(() => Install(Manifest()));
        AssertNothingInstalled();
        Assert.DoesNotContain(_server.Requests, r => r.Path.Contains("/log/entries/"));
    }

    [Theory]
    [InlineData("identity: x")]
    [InlineData("rekor: http://rekor.example")]
    public void SettingsThatWouldNotBeChecked_OrAPlainHttpRekor_AreRefused(string extra)
    {
        File.WriteAllText(ManifestPath, $"""
            tools:
              a:
                signature:
                  scheme: slsa-provenance
                  provenance: "{'{'}url{'}'}.intoto.jsonl"
                  source_uri: {Source}
                  {extra}
                versions:
                  "1.0":
                    artifacts:
                      linux-x64:
                        url: https://example.invalid/a.txt
                        sha256: {ArtifactSha256}
                        archive: binary
            """);
        Assert.Throws<SignatureFormatException>(() => PinnedArtifactResolver.Resolve(new ManifestReader().ReadFile(ManifestPath), "a", null, "linux-x64"));
    }
}
