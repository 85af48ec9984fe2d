using System.Text;
using System.Text.Json.Nodes;
using SecureInstall.Core.Signatures;
using SecureInstall.Core.Signatures.Sigstore;

namespace SecureInstall.Core.Tests.Signatures.Sigstore;

/// <summary>
/// `gh attestation download` saves a JSON Lines file: one bundle per line, one line per attestation of the digest
/// (provenance, SBOM, other signers). The first bundle that satisfies the policy counts; the error names every line.
/// </summary>
public sealed class SigstoreJsonLinesTests : IDisposable
{
    private const string Repo = "sigstore-conformance/extremely-dangerous-public-oidc-beacon";
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "si-jsonl-" + Guid.NewGuid().ToString("N"));

    public SigstoreJsonLinesTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static bool HaveCorpus => SigstoreConformanceTests.CasesDir is string d && Directory.Exists(d);

    private static string Line(string caseName) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(SigstoreConformanceTests.CasesDir!, caseName, "bundle.sigstore.json")))!.ToJsonString();

    private string Write(params string[] lines)
    {
        string path = Path.Combine(_dir, "attestations.jsonl");
        File.WriteAllText(path, string.Join("\n", lines) + "\n");
        return path;
    }

    private static SigstoreArtifact Artifact => SigstoreArtifact.FromFile(Path.Combine(SigstoreConformanceTests.CasesDir!, "a.txt"));

    private static SigstoreVerifier Verifier(GitHubAttestationPolicy rules) =>
        new(TrustedRoot.Load(SigstoreConformanceTests.ProductionRoot!), SigstorePolicy.ForGitHubAttestation(rules));

    [SkippableFact]
    public void TheBundleThatSatisfiesThePolicy_Counts_WhateverItsLine()
    {
        Skip.IfNot(HaveCorpus, "sigstore-conformance corpus absent");
        string path = Write(Line("dsse-invalid-sig_fail"), "", Line("happy-path-intoto-in-dsse-v3"));
        IReadOnlyList<SigstoreBundle> bundles = SigstoreBundle.LoadAll(path);
        Assert.Equal(new[] { path + ":1", path + ":3" }, bundles.Select(b => b.Source));
        SignatureResult result = Verifier(new GitHubAttestationPolicy { Repository = Repo }).VerifyAny(bundles, Artifact);
        Assert.True(result.IsValid);
        Assert.Equal(path + ":3", result.SignaturePath);
    }

    [SkippableFact]
    public void NoBundleSatisfiesThePolicy_TheErrorNamesEachLine()
    {
        Skip.IfNot(HaveCorpus, "sigstore-conformance corpus absent");
        string path = Write(Line("dsse-invalid-sig_fail"), Line("happy-path-intoto-in-dsse-v3"));
        var ex = Assert.Throws<SignatureInvalidException>(() =>
            Verifier(new GitHubAttestationPolicy { Repository = "someone/else" }).VerifyAny(SigstoreBundle.LoadAll(path), Artifact));
        Assert.Contains("none of the 2 bundles verified", ex.Message);
        Assert.Contains(path + ":1: ", ex.Message);
        Assert.Contains(path + ":2: ", ex.Message);
        Assert.Equal(path, ex.Result.SignaturePath);
        Assert.False(ex.Result.IsValid);
    }

    [SkippableFact]
    public void EverySoundBundleFromSomeoneElse_IsSignerNotTrusted()
    {
        Skip.IfNot(HaveCorpus, "sigstore-conformance corpus absent");
        string happy = Line("happy-path-intoto-in-dsse-v3");
        string path = Write(happy, happy);
        var ex = Assert.Throws<SignerNotTrustedException>(() =>
            Verifier(new GitHubAttestationPolicy { Owner = "sigstore" }).VerifyAny(SigstoreBundle.LoadAll(path), Artifact));
        Assert.Equal(ErrorIds.SignerNotTrusted, ex.ErrorId);
    }

    [Fact]
    public void ABrokenLine_IsNamedByItsNumber_AndAnEmptyFileIsRefused()
    {
        string path = Write("{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\"}", "not json");
        var ex = Assert.Throws<SignatureFormatException>(() => SigstoreBundle.LoadAll(path));
        Assert.Contains(path + ":1", ex.Message); // line 1 lacks its verification material
        File.WriteAllText(path, "\n \n");
        Assert.Contains("empty", Assert.Throws<SignatureFormatException>(() => SigstoreBundle.LoadAll(path)).Message);
        Assert.Contains(path + ":2", Assert.Throws<SignatureFormatException>(() => SigstoreBundle.ParseAll(Encoding.UTF8.GetBytes("\n{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\",\"verificationMaterial\":{}}\nnot json\n"), path)).Message);
    }
}
