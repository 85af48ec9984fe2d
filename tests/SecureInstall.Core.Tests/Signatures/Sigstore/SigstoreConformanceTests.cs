using SecureInstall.Core.Checksums;
using SecureInstall.Core.Signatures;
using SecureInstall.Core.Signatures.Sigstore;

namespace SecureInstall.Core.Tests.Signatures.Sigstore;

/// <summary>
/// The sigstore-conformance bundle-verification cases, read in place from the shared corpus: every case must give
/// its expected outcome (`*_fail` fails), with the artifact file and with sha256:HEX, as the suite's client protocol runs it.
/// </summary>
public sealed class SigstoreConformanceTests
{
    public const string DefaultIdentity = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
    public const string DefaultIssuer = "https://token.actions.githubusercontent.com";

    public static string? CasesDir => TestPaths.Corpus is string c ? Path.Combine(c, "sigstore-conformance", "test", "assets", "bundle-verify") : null;
    public static string? ProductionRoot => TestPaths.Corpus is string c ? Path.Combine(c, "sigstore-trusted-roots", "production.json") : null;

    public static IEnumerable<object[]> Cases()
    {
        string? dir = CasesDir;
        if (dir == null || !Directory.Exists(dir))
        {
            yield return new object[] { "(corpus absent)", false };
            yield break;
        }
        foreach (string d in Directory.GetDirectories(dir).OrderBy(x => x, StringComparer.Ordinal))
        {
            if (!File.Exists(Path.Combine(d, "bundle.sigstore.json"))) continue;
            yield return new object[] { Path.GetFileName(d), false };
            yield return new object[] { Path.GetFileName(d), true };
        }
    }

    /// <summary>Runs one case as the conformance client would; returns null when it verified, else the failure.</summary>
    public static Exception? Run(string name, bool digestMode)
    {
        string dir = Path.Combine(CasesDir!, name);
        string artifactPath = File.Exists(Path.Combine(dir, "artifact")) ? Path.Combine(dir, "artifact") : Path.Combine(CasesDir!, "a.txt");
        string root = File.Exists(Path.Combine(dir, "trusted_root.json")) ? Path.Combine(dir, "trusted_root.json") : ProductionRoot!;
        try
        {
            SigstorePolicy policy = File.Exists(Path.Combine(dir, "key.pub"))
                ? SigstorePolicy.ForKeyFile(Path.Combine(dir, "key.pub"))
                : name == "integrated-time-in-future_fail"
                    ? SigstorePolicy.ForIdentity("untrusted-sa@sigstore-conformance.iam.gserviceaccount.com", "https://accounts.google.com")
                    : SigstorePolicy.ForIdentity(DefaultIdentity, DefaultIssuer);
            var verifier = new SigstoreVerifier(TrustedRoot.Load(root), policy);
            SigstoreArtifact artifact = SigstoreArtifact.FromFile(artifactPath);
            if (digestMode) artifact = SigstoreArtifact.FromDigest(artifact.Sha256);
            SignatureResult result = verifier.Verify(SigstoreBundle.Load(Path.Combine(dir, "bundle.sigstore.json")), artifact);
            Assert.True(result.IsValid);
            return null;
        }
        catch (SecureInstallException ex)
        {
            return ex;
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void Case_GivesExpectedOutcome(string name, bool digestMode)
    {
        Skip.If(CasesDir == null || !Directory.Exists(CasesDir), "sigstore-conformance corpus absent");
        Exception? failure = Run(name, digestMode);
        if (name.EndsWith("_fail", StringComparison.Ordinal))
            Assert.True(failure != null, $"{name} ({(digestMode ? "digest" : "file")}) verified but must fail");
        else
            Assert.True(failure == null, $"{name} ({(digestMode ? "digest" : "file")}) must verify: {failure?.Message}");
    }
}
