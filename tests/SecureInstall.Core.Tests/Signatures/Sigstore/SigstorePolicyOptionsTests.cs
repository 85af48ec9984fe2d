using System.Security.Cryptography;
using SecureInstall.Core.Signatures;
using SecureInstall.Core.Signatures.Sigstore;

namespace SecureInstall.Core.Tests.Signatures.Sigstore;

/// <summary>
/// The one rule that turns what a front end was given (cmdlet parameters, verify-bundle options, manifest settings) into
/// a Sigstore policy: exactly one kind of signer, and nothing given that the chosen kind would not check.
/// </summary>
public sealed class SigstorePolicyOptionsTests : IDisposable
{
    private const string Identity = "https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1";
    private const string Issuer = "https://token.actions.githubusercontent.com";
    private readonly TempDir _dir = new();
    private readonly string _key;

    public SigstorePolicyOptionsTests()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        _key = _dir.File("cosign.pub", ec.ExportSubjectPublicKeyInfoPem());
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Identity_AndIssuer_MakeAKeylessPolicy()
    {
        SigstorePolicy policy = new SigstorePolicyOptions { CertificateIdentity = Identity, CertificateOidcIssuer = Issuer }.CreatePolicy();
        Assert.False(policy.IsKeyed);
        Assert.Equal(Identity, policy.CertificateIdentity);
        Assert.Null(policy.CertificateIdentityRegex);
        Assert.Equal(Issuer, policy.CertificateOidcIssuer);
    }

    [Fact]
    public void IdentityRegex_AndIssuer_MakeAKeylessPolicy()
    {
        SigstorePolicy policy = new SigstorePolicyOptions { CertificateIdentityRegex = "https://github\\.com/o/.*", CertificateOidcIssuer = Issuer }.CreatePolicy();
        Assert.Null(policy.CertificateIdentity);
        Assert.Equal("https://github\\.com/o/.*", policy.CertificateIdentityRegex);
    }

    [Fact]
    public void KeyFile_MakesAKeyedPolicy()
    {
        SigstorePolicy policy = new SigstorePolicyOptions { PublicKeyFile = _key }.CreatePolicy();
        Assert.True(policy.IsKeyed);
        Assert.Equal(_key, policy.PublicKeySource);
    }

    [Fact]
    public void Attestation_DefaultsToGitHubActionsAndSlsaProvenance()
    {
        SigstorePolicy policy = new SigstorePolicyOptions { GitHubAttestation = true, Repository = "o/r", DenySelfHostedRunners = true }.CreatePolicy();
        Assert.Equal(GitHubAttestationPolicy.GitHubActionsIssuer, policy.CertificateOidcIssuer);
        Assert.NotNull(policy.Attestation);
        Assert.Equal("o/r", policy.Attestation!.Repository);
        Assert.Equal(GitHubAttestationPolicy.SlsaProvenanceV1, policy.Attestation.PredicateType);
        Assert.True(policy.Attestation.DenySelfHostedRunners);
        Assert.Null(policy.CertificateIdentity);
    }

    [Fact]
    public void Attestation_TakesAnotherIssuerAndPredicate()
    {
        SigstorePolicy policy = new SigstorePolicyOptions { GitHubAttestation = true, Owner = "o", CertificateOidcIssuer = "https://issuer.example", PredicateType = "https://spdx.dev/Document" }.CreatePolicy();
        Assert.Equal("https://issuer.example", policy.CertificateOidcIssuer);
        Assert.Equal("https://spdx.dev/Document", policy.Attestation!.PredicateType);
    }

    public static TheoryData<string, SigstorePolicyOptions> NotOnePolicy => new()
    {
        { "nothing", new SigstorePolicyOptions() },
        { "issuer alone", new SigstorePolicyOptions { CertificateOidcIssuer = Issuer } },
        { "identity without issuer", new SigstorePolicyOptions { CertificateIdentity = Identity } },
        { "identity and regex", new SigstorePolicyOptions { CertificateIdentity = Identity, CertificateIdentityRegex = ".*", CertificateOidcIssuer = Issuer } },
        { "key and identity", new SigstorePolicyOptions { PublicKeyFile = "cosign.pub", CertificateIdentity = Identity, CertificateOidcIssuer = Issuer } },
        { "key and issuer", new SigstorePolicyOptions { PublicKeyFile = "cosign.pub", CertificateOidcIssuer = Issuer } },
        { "bad regex", new SigstorePolicyOptions { CertificateIdentityRegex = "(", CertificateOidcIssuer = Issuer } },
        { "attestation naming nobody", new SigstorePolicyOptions { GitHubAttestation = true, DenySelfHostedRunners = true } },
        { "attestation with an identity", new SigstorePolicyOptions { GitHubAttestation = true, Repository = "o/r", CertificateIdentity = Identity } },
        { "attestation with a key", new SigstorePolicyOptions { GitHubAttestation = true, Repository = "o/r", PublicKeyFile = "cosign.pub" } },
        { "repository not owner/repo", new SigstorePolicyOptions { GitHubAttestation = true, Repository = "o" } },
        { "repository on a bundle", new SigstorePolicyOptions { CertificateIdentity = Identity, CertificateOidcIssuer = Issuer, Repository = "o/r" } },
        { "runner rule on a bundle", new SigstorePolicyOptions { PublicKeyFile = "cosign.pub", DenySelfHostedRunners = true } },
    };

    [Theory]
    [MemberData(nameof(NotOnePolicy))]
    public void NotExactlyOnePolicy_IsRefused_NeverNarrowed(string why, SigstorePolicyOptions options)
    {
        Assert.NotNull(why);
        Assert.ThrowsAny<ArgumentException>(() => options.CreatePolicy());
    }

    [Fact]
    public void LoadTrustedRoot_IsThePublicGoodRoot_UnlessAFileIsNamed()
    {
        Assert.Equal(TrustedRoot.PublicGood().Source, new SigstorePolicyOptions().LoadTrustedRoot().Source);
        string bad = _dir.File("root.json", "{}");
        Assert.ThrowsAny<SecureInstallException>(() => new SigstorePolicyOptions { TrustedRootFile = bad }.LoadTrustedRoot());
    }

    // The manifest's settings used to let a key win over an identity, and an identity over a regex, silently; verify-bundle
    // and the cmdlet's parameter sets refused both. The stricter rule now holds for the manifest too.
    [Theory]
    [InlineData("identity_regex", ".*")]
    [InlineData("key", "cosign.pub")]
    public void ManifestSettings_WithTwoSigners_AreRefused(string extra, string value)
    {
        var settings = new Dictionary<string, string> { ["scheme"] = "sigstore", ["identity"] = Identity, ["issuer"] = Issuer, [extra] = value };
        var ex = Assert.Throws<SignatureFormatException>(() => SigstoreRequirement.FromSettings(settings, _dir.Path, "t: signature (line 3)"));
        Assert.StartsWith("t: signature (line 3): ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ManifestSettings_AttestationRulesUnderSchemeSigstore_AreRefused()
    {
        var settings = new Dictionary<string, string> { ["scheme"] = "sigstore", ["identity"] = Identity, ["issuer"] = Issuer, ["repository"] = "o/r" };
        Assert.Throws<SignatureFormatException>(() => SigstoreRequirement.FromSettings(settings, _dir.Path, "t"));
    }

    [Fact]
    public void ManifestSettings_FillTheSameOptions_AndKeepRelativePathsAbsoluteForTheLock()
    {
        var settings = new Dictionary<string, string> { ["scheme"] = "sigstore", ["key"] = "cosign.pub" };
        SigstoreRequirement requirement = SigstoreRequirement.FromSettings(settings, _dir.Path, "t");
        Assert.Equal(_key, requirement.Settings["key"]);
        Assert.Contains("key " + _key, requirement.Verifier.TrustedKeyDescription, StringComparison.Ordinal);
        var attestation = new Dictionary<string, string> { ["scheme"] = "github-attestation", ["owner"] = "o", ["deny_self_hosted_runners"] = "true" };
        Assert.Contains("GitHub-hosted runners only", SigstoreRequirement.FromSettings(attestation, null, "t").Verifier.TrustedKeyDescription, StringComparison.Ordinal);
    }

    // The bundle's URL pattern is expanded by the same rule as a detached signature's url (SignatureUrlPattern).
    [Theory]
    [InlineData(null, "https://e.test/r/v2/tool.tgz.sigstore.json")]
    [InlineData("bundles/{file}-{version}.json", "https://e.test/r/v2/bundles/tool.tgz-2.0.json")]
    [InlineData("https://b.test/{version}/{file}.jsonl", "https://b.test/2.0/tool.tgz.jsonl")]
    public void BundleUri_ExpandsThePattern_RelativeToTheArtifact(string? pattern, string expected)
    {
        var settings = new Dictionary<string, string> { ["scheme"] = "github-attestation", ["repository"] = "o/r" };
        if (pattern != null) settings["bundle"] = pattern;
        Uri uri = SigstoreRequirement.FromSettings(settings, null, "t").BundleUri(new Uri("https://e.test/r/v2/tool.tgz"), "2.0", "t");
        Assert.Equal(expected, uri.AbsoluteUri);
    }
}
