using System.Text.Json.Nodes;
using SecureInstall.Core.Signatures;
using SecureInstall.Core.Signatures.Sigstore;

namespace SecureInstall.Core.Tests.Signatures.Sigstore;

/// <summary>
/// Issue 18 §1: a Sigstore instance without certificate transparency. Two real bundles from GitHub's own instance (no
/// SCT, no Rekor entry, an RFC 3161 timestamp): a private repository's build provenance
/// (tests/fixtures/sigstore/artifact-attestations-opa-provider) and a release attestation (tests/fixtures/sigstore/cli-cli),
/// checked against GitHub's trusted root, read in place from ../shared/corpus/sigstore-trusted-roots/github.json.
/// </summary>
public sealed class NoCertificateTransparencyTests
{
    private const string ArtifactSha256 = "e15b593c6ab8d7725a3cc82226ef816cac6bf9c70eed383bd459295cc65f5ec3";
    private const string ReleaseIdentity = "https://dotcom.releases.github.com";

    private static string? GitHubRootPath => TestPaths.Corpus is string c ? Path.Combine(c, "sigstore-trusted-roots", "github.json") : null;
    private static bool HaveRoot => GitHubRootPath is string p && File.Exists(p);
    private static TrustedRoot GitHubRoot => TrustedRoot.Load(GitHubRootPath!);
    private static SigstoreBundle ReleaseBundle => SigstoreBundle.Load(Path.Combine(TestPaths.RepositoryRoot, "tests", "fixtures", "sigstore", "cli-cli", "github_release_bundle.json"));
    private static SigstoreArtifact Artifact => SigstoreArtifact.FromDigest(SecureInstall.Core.Checksums.Hex.TryDecode(ArtifactSha256)!);

    // GitHub's root with the public-good root's CT logs added: a root that lists CT logs.
    private static TrustedRoot GitHubRootWithCtLogs()
    {
        JsonNode github = JsonNode.Parse(File.ReadAllText(GitHubRootPath!))!;
        JsonNode production = JsonNode.Parse(File.ReadAllText(Path.Combine(TestPaths.Corpus!, "sigstore-trusted-roots", "production.json")))!;
        github["ctlogs"] = production["ctlogs"]!.DeepClone();
        return TrustedRoot.Parse(System.Text.Encoding.UTF8.GetBytes(github.ToJsonString()), "github.json + public-good ctlogs");
    }

    // A build-provenance attestation from a private repository (tests/fixtures/sigstore/artifact-attestations-opa-provider).
    private const string ImageSha256 = "d57f9212097b86c8d75158ea1d974721e7c6f8c33bd77838b242c8f6a2d21813";
    private const string ImageRepository = "github/artifact-attestations-opa-provider";
    private static SigstoreBundle ActionsBundle => SigstoreBundle.Load(Path.Combine(TestPaths.RepositoryRoot, "tests", "fixtures", "sigstore", "artifact-attestations-opa-provider", "okBundle.sigstore.json"));
    private static SigstoreArtifact Image => SigstoreArtifact.FromDigest(SecureInstall.Core.Checksums.Hex.TryDecode(ImageSha256)!);

    private static SigstoreVerifier ForRepository(TrustedRoot root, string repository) =>
        new(root, SigstorePolicy.ForGitHubAttestation(new GitHubAttestationPolicy { Repository = repository, DenySelfHostedRunners = true }));

    [SkippableFact]
    public void GitHubInstanceActionsAttestation_WithoutSct_VerifiesEndToEnd_WithRepository()
    {
        Skip.IfNot(HaveRoot, "../shared/corpus/sigstore-trusted-roots/github.json absent");
        SigstoreBundle bundle = ActionsBundle;
        Assert.Empty(SignedCertificateTimestamps.Read(bundle.Certificates[0]));
        SignatureResult r = ForRepository(GitHubRoot, ImageRepository).Verify(bundle, Image);
        Assert.True(r.IsValid);
        Assert.Equal(GitHubAttestationPolicy.SlsaProvenanceV1, r.PredicateType);
        Assert.Equal("https://github.com/github/artifact-attestations-opa-provider/.github/workflows/docker.yaml@refs/pull/31/merge", r.Signer);
        Assert.Equal(DateTimeOffset.Parse("2025-05-07T08:05:10Z"), r.SignedAt);
        Assert.Null(r.LogIndex);
    }

    [SkippableFact]
    public void GitHubInstanceActionsAttestation_AnotherRepositoryOrImage_IsRefused()
    {
        Skip.IfNot(HaveRoot, "../shared/corpus/sigstore-trusted-roots/github.json absent");
        Assert.Throws<SignerNotTrustedException>(() => ForRepository(GitHubRoot, "github/other").Verify(ActionsBundle, Image));
        var ex = Assert.Throws<SignatureInvalidException>(() => ForRepository(GitHubRoot, ImageRepository).Verify(ActionsBundle, SigstoreArtifact.FromDigest(new byte[32])));
        Assert.Contains("do not include this artifact", ex.Reason);
    }

    [SkippableFact]
    public void GitHubInstanceActionsAttestation_AgainstTheRootWithCtLogs_IsRefusedForTheMissingSct()
    {
        Skip.IfNot(HaveRoot && File.Exists(Path.Combine(TestPaths.Corpus!, "sigstore-trusted-roots", "production.json")), "trusted roots absent");
        var ex = Assert.Throws<SignatureInvalidException>(() => ForRepository(GitHubRootWithCtLogs(), ImageRepository).Verify(ActionsBundle, Image));
        Assert.Contains("the certificate carries no signed certificate timestamp", ex.Reason);
    }

    [Fact]
    public void GitHubInstanceActionsAttestation_AgainstThePublicGoodRoot_IsRefused()
    {
        var ex = Assert.Throws<SignatureInvalidException>(() => ForRepository(TrustedRoot.PublicGood(), ImageRepository).Verify(ActionsBundle, Image));
        Assert.Contains("the bundle has no transparency-log entry", ex.Reason);   // the public-good root lists Rekor logs
    }

    [SkippableFact]
    public void GitHubRoot_ListsNoCtLogAndNoTransparencyLog()
    {
        Skip.IfNot(HaveRoot, "../shared/corpus/sigstore-trusted-roots/github.json absent");
        Assert.Empty(GitHubRoot.CertificateTransparencyLogs);
        Assert.Empty(GitHubRoot.TransparencyLogs);
        Assert.NotEmpty(GitHubRoot.TimestampAuthorities);
    }

    [SkippableFact]
    public void GitHubInstanceBundle_PassesEveryCheck_AndOnlyTheIdentityDecides()
    {
        Skip.IfNot(HaveRoot, "../shared/corpus/sigstore-trusted-roots/github.json absent");
        SigstoreBundle bundle = ReleaseBundle;
        var cert = new FulcioCertificate(bundle.Certificates[0]);
        Assert.Empty(SignedCertificateTimestamps.Read(cert.Certificate));
        Assert.Empty(bundle.TransparencyLogEntries);

        // The signing time comes from GitHub's timestamp authority, inside its validity window in the root.
        DateTimeOffset signedAt = Rfc3161Timestamp.Verify(bundle.Rfc3161Timestamps[0], bundle.Signature, GitHubRoot.TimestampAuthorities);
        Assert.Equal(DateTimeOffset.Parse("2025-05-30T20:13:39Z"), signedAt);
        // The certificate chains to the root's CA and is valid at that time ("Fulcio Intermediate l1" issued it).
        cert.VerifyChain(GitHubRoot.CertificateAuthorities, new[] { signedAt });
        // The envelope's signature and its subject: the sha256-named one, beside a sha1-only one.
        Assert.True(SigstoreKeys.Verify(cert.Certificate.GetPublicKey(), bundle.Envelope!.PreAuthenticationEncoding(), bundle.Signature));
        Assert.Equal("https://in-toto.io/attestation/release/v0.1", GitHubAttestationPolicy.CheckStatement(bundle.Envelope, Artifact, null));
    }

    [SkippableFact]
    public void GitHubInstanceBundle_WithoutSct_IsNotRefusedForIt_WhenTheRootListsNoCtLog()
    {
        Skip.IfNot(HaveRoot, "../shared/corpus/sigstore-trusted-roots/github.json absent");
        // A release certificate carries no OIDC issuer, so an identity policy (which always names one) refuses the
        // signer: the verdict is SignerNotTrusted about the issuer, reached only after the timestamp, the chain and the
        // SCT rule passed. Before issue 18 it was SignatureInvalid ("not signed by the trusted CA" / "no signed certificate timestamp").
        var verifier = new SigstoreVerifier(GitHubRoot, SigstorePolicy.ForIdentity(ReleaseIdentity, GitHubAttestationPolicy.GitHubActionsIssuer));
        var ex = Assert.Throws<SignerNotTrustedException>(() => verifier.Verify(ReleaseBundle, Artifact));
        Assert.Contains("OIDC issuer is '(none)'", ex.Reason);
        Assert.Equal(ReleaseIdentity, ex.Result.Signer);
    }

    [SkippableFact]
    public void RootListingCtLogs_StillRefusesACertificateWithoutSct()
    {
        Skip.IfNot(HaveRoot && File.Exists(Path.Combine(TestPaths.Corpus!, "sigstore-trusted-roots", "production.json")), "trusted roots absent");
        var verifier = new SigstoreVerifier(GitHubRootWithCtLogs(), SigstorePolicy.ForIdentity(ReleaseIdentity, GitHubAttestationPolicy.GitHubActionsIssuer));
        var ex = Assert.Throws<SignatureInvalidException>(() => verifier.Verify(ReleaseBundle, Artifact));
        Assert.Contains("the certificate carries no signed certificate timestamp", ex.Reason);
    }

    [SkippableFact]
    public void TimestampOutsideEveryTimestampAuthorityWindow_IsRefused()
    {
        Skip.IfNot(HaveRoot, "../shared/corpus/sigstore-trusted-roots/github.json absent");
        JsonNode root = JsonNode.Parse(File.ReadAllText(GitHubRootPath!))!;
        foreach (JsonNode? tsa in root["timestampAuthorities"]!.AsArray())
        {
            tsa!["validFor"] = new JsonObject { ["start"] = "2020-01-01T00:00:00Z", ["end"] = "2025-05-30T20:13:38Z" };
        }
        TrustedRoot narrowed = TrustedRoot.Parse(System.Text.Encoding.UTF8.GetBytes(root.ToJsonString()), "github.json, TSA windows ending a second early");
        var verifier = new SigstoreVerifier(narrowed, SigstorePolicy.ForIdentity(ReleaseIdentity, GitHubAttestationPolicy.GitHubActionsIssuer));
        var ex = Assert.Throws<SignatureInvalidException>(() => verifier.Verify(ReleaseBundle, Artifact));
        Assert.Contains("outside the validity of timestamp authority", ex.Reason);
    }

    [SkippableFact]
    public void GitHubInstanceBundle_ForAnotherArtifact_IsRefused()
    {
        Skip.IfNot(HaveRoot, "../shared/corpus/sigstore-trusted-roots/github.json absent");
        var ex = Assert.Throws<SigstoreCheckException>(() => GitHubAttestationPolicy.CheckStatement(ReleaseBundle.Envelope!, SigstoreArtifact.FromDigest(new byte[32]), null));
        Assert.Contains("subject 'pkg:github/bdehamer/delme@v6' names its artifact only by sha1", ex.Reason);
    }
}
