using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using SecureInstall.Core.Signatures;
using SecureInstall.Core.Signatures.Sigstore;

namespace SecureInstall.Core.Tests.Signatures.Sigstore;

/// <summary>
/// Issue 25 §1: a bundle whose certificate chain repeats certificates of the trusted root (sigstore-js's and npm's 2023
/// bundles carry the production intermediate and root) is accepted, the repeated certificates ignored; a root or
/// intermediate the trusted root does not hold is still refused. The real sample: tests/fixtures/sigstore/sigstore-js-demo-chain-with-root.
/// </summary>
public sealed class ChainWithTrustedRootTests
{
    private const string Identity = "brian@dehamer.com";
    private const string Issuer = "https://github.com/login/oauth";

    private static string FixtureDir => Path.Combine(TestPaths.RepositoryRoot, "tests", "fixtures", "sigstore", "sigstore-js-demo-chain-with-root");
    private static byte[] BundleJson => File.ReadAllBytes(Path.Combine(FixtureDir, "bundle.sigstore.json"));
    private static SigstoreArtifact Artifact => SigstoreArtifact.FromFile(Path.Combine(FixtureDir, "artifact"));
    private static SigstoreVerifier Verifier => new(TrustedRoot.PublicGood(), SigstorePolicy.ForIdentity(Identity, Issuer));

    private static SigstoreBundle WithChainCertificate(int index, byte[] der)
    {
        JsonNode bundle = JsonNode.Parse(BundleJson)!;
        bundle["verificationMaterial"]!["x509CertificateChain"]!["certificates"]![index]!["rawBytes"] = Convert.ToBase64String(der);
        return SigstoreBundle.Parse(System.Text.Encoding.UTF8.GetBytes(bundle.ToJsonString()), "edited bundle");
    }

    private static X509Certificate2 SelfSignedCa(string name)
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var request = new CertificateRequest($"O=sigstore.dev, CN={name}", key, HashAlgorithmName.SHA384);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        return request.CreateSelfSigned(DateTimeOffset.Parse("2021-01-01Z"), DateTimeOffset.Parse("2031-01-01Z"));
    }

    [Fact]
    public void RealBundle_WhoseChainCarriesTheProductionIntermediateAndRoot_Verifies()
    {
        SigstoreBundle bundle = SigstoreBundle.Parse(BundleJson, "bundle.sigstore.json");
        Assert.Equal(3, bundle.Certificates.Count);
        SignatureResult result = Verifier.Verify(bundle, Artifact);
        Assert.True(result.IsValid);
        Assert.Equal(Identity, result.Signer);
        Assert.Equal(12842224, result.LogIndex);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1675801250), result.SignedAt);
    }

    [Fact]
    public void RealBundle_InDigestMode_Verifies()
    {
        Assert.True(Verifier.Verify(SigstoreBundle.Parse(BundleJson, "bundle"), SigstoreArtifact.FromDigest(Artifact.Sha256)).IsValid);
    }

    [Fact]
    public void RealBundle_TamperedArtifact_IsRefused()
    {
        string tampered = Path.Combine(Path.GetTempPath(), "si-issue25-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(tampered, "content to be signed!\n");
        try
        {
            var ex = Assert.Throws<SignatureInvalidException>(() => Verifier.Verify(SigstoreBundle.Parse(BundleJson, "bundle"), SigstoreArtifact.FromFile(tampered)));
            Assert.Contains("the logged digest is not the artifact's", ex.Reason);
        }
        finally
        {
            File.Delete(tampered);
        }
    }

    [Fact]
    public void ChainCarryingARootTheTrustedRootDoesNotHold_IsRefused()
    {
        using X509Certificate2 foreign = SelfSignedCa("sigstore");
        var ex = Assert.Throws<SignatureInvalidException>(() => Verifier.Verify(WithChainCertificate(2, foreign.RawData), Artifact));
        Assert.Contains("contains a root certificate the trusted root does not hold (", ex.Reason);
        Assert.Contains("CN=sigstore", ex.Reason);
    }

    [Fact]
    public void ChainCarryingAnIntermediateTheTrustedRootDoesNotHold_IsRefused()
    {
        using X509Certificate2 foreignRoot = SelfSignedCa("sigstore");
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var request = new CertificateRequest("O=sigstore.dev, CN=sigstore-intermediate", key, HashAlgorithmName.SHA384);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        using X509Certificate2 intermediate = request.Create(foreignRoot, DateTimeOffset.Parse("2022-01-01Z"), DateTimeOffset.Parse("2030-01-01Z"), new byte[] { 1, 2, 3 });
        var ex = Assert.Throws<SignatureInvalidException>(() => Verifier.Verify(WithChainCertificate(1, intermediate.RawData), Artifact));
        Assert.Contains("contains a CA certificate the trusted root does not hold (", ex.Reason);
        Assert.Contains("CN=sigstore-intermediate", ex.Reason);
    }

    [Fact]
    public void ChainWhoseLeafIsSelfSigned_IsRefused()
    {
        using X509Certificate2 foreign = SelfSignedCa("leaf");
        var ex = Assert.Throws<SignatureInvalidException>(() => Verifier.Verify(WithChainCertificate(0, foreign.RawData), Artifact));
        Assert.Contains("the bundle's signing certificate is a self-signed root certificate", ex.Reason);
    }

    [SkippableFact]
    public void ConformanceCaseWithAForeignRoot_IsStillRefused_ForThatRoot()
    {
        string? dir = SigstoreConformanceTests.CasesDir is string d ? Path.Combine(d, "bundle-with-root-cert_fail") : null;
        Skip.If(dir == null || !Directory.Exists(dir) || !File.Exists(SigstoreConformanceTests.ProductionRoot), "sigstore-conformance corpus absent");
        var verifier = new SigstoreVerifier(TrustedRoot.Load(SigstoreConformanceTests.ProductionRoot!),
            SigstorePolicy.ForIdentity(SigstoreConformanceTests.DefaultIdentity, SigstoreConformanceTests.DefaultIssuer));
        var ex = Assert.Throws<SignatureInvalidException>(() => verifier.Verify(SigstoreBundle.Load(Path.Combine(dir!, "bundle.sigstore.json")), SigstoreArtifact.FromFile(Path.Combine(dir!, "artifact"))));
        Assert.Contains("contains a root certificate the trusted root does not hold", ex.Reason);
    }
}
