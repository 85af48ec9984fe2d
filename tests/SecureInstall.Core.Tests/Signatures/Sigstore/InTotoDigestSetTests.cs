using System.Security.Cryptography;
using System.Text;
using SecureInstall.Core.Checksums;
using SecureInstall.Core.Signatures;
using SecureInstall.Core.Signatures.Sigstore;

namespace SecureInstall.Core.Tests.Signatures.Sigstore;

/// <summary>
/// Issue 18 §1: in-toto subjects are DigestSets. A real npm package (sigstore@2.1.0, tests/fixtures/sigstore/npm-sigstore-2.1.0)
/// whose provenance names the tarball by sha512 alone, and statements written here for the matching rules.
/// </summary>
public sealed class InTotoDigestSetTests
{
    private const string NpmRepository = "sigstore/sigstore-js";
    private const string NpmSha512 = "90f223f992e4c88dd068cd2a5fc57f9d2b30798343dd6e38f29c240e04ba090ef831f84490847c4e82b9232c78e8a258463b1e55c0f7469f730265008fa6633f";
    private const string NpmSha256 = "f0c641fce0310cb43208f4272dc1423153630e44ba8cdc0b5ce8466f724e0eed";

    private static string Fixture(string name) => Path.Combine(TestPaths.RepositoryRoot, "tests", "fixtures", "sigstore", "npm-sigstore-2.1.0", name);
    private static string Tarball => Fixture("sigstore-2.1.0.tgz");
    private static SigstoreBundle NpmBundle => SigstoreBundle.Load(Fixture("sigstore-2.1.0.sigstore.json"));

    // npm provenance is signed on the public-good instance: the root the module ships.
    private static SigstoreVerifier ForRepository(string repository) =>
        new(TrustedRoot.PublicGood(), SigstorePolicy.ForGitHubAttestation(new GitHubAttestationPolicy { Repository = repository }));

    [Fact]
    public void NpmTarball_IsTheOneTheProvenanceNames()
    {
        SigstoreArtifact artifact = SigstoreArtifact.FromFile(Tarball);
        Assert.Equal(NpmSha512, Hex.Encode(artifact.Digest(ChecksumAlgorithm.SHA512)!));
        Assert.Equal(NpmSha256, Hex.Encode(artifact.Sha256));
    }

    [Fact]
    public void FromFile_HashesSha256Sha384AndSha512InOnePass()
    {
        using var temp = new TempDir();
        string path = Path.Combine(temp.Path, "f.bin");
        byte[] bytes = Encoding.UTF8.GetBytes(new string('x', 3 * 1024 * 1024 + 17));
        File.WriteAllBytes(path, bytes);
        SigstoreArtifact a = SigstoreArtifact.FromFile(path);
        Assert.Equal(SHA256.HashData(bytes), a.Digest(ChecksumAlgorithm.SHA256));
        Assert.Equal(SHA384.HashData(bytes), a.Digest(ChecksumAlgorithm.SHA384));
        Assert.Equal(SHA512.HashData(bytes), a.Digest(ChecksumAlgorithm.SHA512));
        Assert.Null(a.Digest(ChecksumAlgorithm.SHA1));
    }

    [Fact]
    public void NeededBy_HashesOnlyWhatTheStatementsList_AndSha256Always()
    {
        Assert.Equal(new[] { ChecksumAlgorithm.SHA256, ChecksumAlgorithm.SHA512 }, SigstoreArtifact.NeededBy(new[] { NpmBundle }));
        SigstoreArtifact a = SigstoreArtifact.FromFile(Tarball, SigstoreArtifact.NeededBy(new[] { NpmBundle }));
        Assert.Equal(NpmSha512, Hex.Encode(a.Digest(ChecksumAlgorithm.SHA512)!));
        Assert.Null(a.Digest(ChecksumAlgorithm.SHA384));
        Assert.True(ForRepository(NpmRepository).Verify(NpmBundle, a).IsValid);
        // Nothing asked for: SHA-256 (message signatures, hashedrekord) is computed anyway.
        Assert.Equal(new[] { ChecksumAlgorithm.SHA256 }, SigstoreArtifact.NeededBy(Array.Empty<SigstoreBundle>()));
        Assert.NotNull(SigstoreArtifact.FromFile(Tarball, Array.Empty<ChecksumAlgorithm>()).Digest(ChecksumAlgorithm.SHA256));
    }

    [Fact]
    public void NpmProvenance_Sha512OnlySubject_VerifiesTheRealTarball()
    {
        SignatureResult r = ForRepository(NpmRepository).Verify(NpmBundle, SigstoreArtifact.FromFile(Tarball));
        Assert.True(r.IsValid);
        Assert.Equal(GitHubAttestationPolicy.SlsaProvenanceV1, r.PredicateType);
        Assert.Equal("https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main", r.Signer);
        Assert.Equal(33351527, r.LogIndex);
    }

    [Fact]
    public void NpmProvenance_Sha512Digest_VerifiesWithoutTheFile()
    {
        Assert.True(SigstoreArtifact.TryParseDigest("sha512:" + NpmSha512, out SigstoreArtifact? digest));
        Assert.True(ForRepository(NpmRepository).Verify(NpmBundle, digest!).IsValid);
    }

    [Fact]
    public void NpmProvenance_GivenOnlyTheSha256_SaysTheSubjectNeedsTheFile()
    {
        var ex = Assert.Throws<SignatureInvalidException>(() => ForRepository(NpmRepository).Verify(NpmBundle, SigstoreArtifact.FromDigest(SecureInstall.Core.Checksums.Hex.TryDecode(NpmSha256)!)));
        Assert.Contains("do not include this artifact", ex.Reason);
        Assert.Contains("subject 'pkg:npm/sigstore@2.1.0' names its artifact by sha512", ex.Reason);
        Assert.Contains("give the file", ex.Reason);
    }

    [Fact]
    public void NpmProvenance_TamperedTarball_IsRefused_NamingItsDigests()
    {
        using var temp = new TempDir();
        string copy = Path.Combine(temp.Path, "sigstore-2.1.0.tgz");
        byte[] bytes = File.ReadAllBytes(Tarball);
        bytes[bytes.Length / 2] ^= 1;
        File.WriteAllBytes(copy, bytes);
        var ex = Assert.Throws<SignatureInvalidException>(() => ForRepository(NpmRepository).Verify(NpmBundle, SigstoreArtifact.FromFile(copy)));
        Assert.Equal(ErrorIds.SignatureInvalid, ex.ErrorId);
        Assert.Contains("the statement's subjects do not include this artifact (sha256:", ex.Reason);
        Assert.Contains("sha512:", ex.Reason);
    }

    [Fact]
    public void NpmProvenance_AnotherRepository_IsSignerNotTrusted()
    {
        var ex = Assert.Throws<SignerNotTrustedException>(() => ForRepository("sigstore/cosign").Verify(NpmBundle, SigstoreArtifact.FromFile(Tarball)));
        Assert.Contains("https://github.com/sigstore/sigstore-js", ex.Reason);
    }

    [Fact]
    public void NpmAttestationsDocument_LoadsEveryBundle_AndVerifiesWithTheOneThatFits()
    {
        using var temp = new TempDir();
        string bundle = File.ReadAllText(Fixture("sigstore-2.1.0.sigstore.json"));
        string path = Path.Combine(temp.Path, "attestations.json");
        File.WriteAllText(path, "{\"attestations\":[{\"predicateType\":\"https://slsa.dev/provenance/v1\",\"bundle\":" + bundle + "}]}");
        IReadOnlyList<SigstoreBundle> bundles = SigstoreBundle.LoadAll(path);
        Assert.Single(bundles);
        Assert.Equal(path + ":1", bundles[0].Source);
        Assert.True(ForRepository(NpmRepository).VerifyAny(bundles, SigstoreArtifact.FromFile(Tarball)).IsValid);

        File.WriteAllText(path, "{\"attestations\":[{\"predicateType\":\"x\"}]}");
        Assert.Throws<SignatureFormatException>(() => SigstoreBundle.LoadAll(path));
    }

    // ---- the matching rules, on statements written here (CheckStatement runs after the envelope's signature) ----

    private static readonly byte[] Content = Encoding.UTF8.GetBytes("artifact bytes\n");

    private static SigstoreArtifact ContentArtifact(TempDir temp)
    {
        string path = Path.Combine(temp.Path, "artifact");
        File.WriteAllBytes(path, Content);
        return SigstoreArtifact.FromFile(path);
    }

    private static string H(HashAlgorithm h) => Hex.Encode(h.ComputeHash(Content));

    private static DsseEnvelope Statement(params string[] subjects) => new(
        GitHubAttestationPolicy.InTotoPayloadType,
        Encoding.UTF8.GetBytes("{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[" + string.Join(",", subjects) + "],\"predicateType\":\"https://slsa.dev/provenance/v1\",\"predicate\":{}}"),
        new[] { new byte[] { 1 } });

    private static string Subject(string name, params (string Alg, string Hex)[] digests) =>
        "{\"name\":\"" + name + "\",\"digest\":{" + string.Join(",", digests.Select(d => $"\"{d.Alg}\":\"{d.Hex}\"")) + "}}";

    [Theory]
    [InlineData("sha256")]
    [InlineData("sha384")]
    [InlineData("sha512")]
    [InlineData("SHA512")]
    public void Subject_ByAnySupportedAlgorithm_Matches(string algorithm)
    {
        using var temp = new TempDir();
        string hex = algorithm.ToLowerInvariant() switch { "sha256" => H(SHA256.Create()), "sha384" => H(SHA384.Create()), _ => H(SHA512.Create()) };
        string predicate = GitHubAttestationPolicy.CheckStatement(Statement(Subject("a", (algorithm, hex.ToUpperInvariant()))), ContentArtifact(temp), null);
        Assert.Equal("https://slsa.dev/provenance/v1", predicate);
    }

    [Fact]
    public void Subject_ListingSha256AndSha512_BothEqual_Matches()
    {
        using var temp = new TempDir();
        GitHubAttestationPolicy.CheckStatement(Statement(Subject("a", ("sha256", H(SHA256.Create())), ("sha512", H(SHA512.Create())), ("gitCommit", "abc"))), ContentArtifact(temp), null);
    }

    [Fact]
    public void Subject_WhoseSha512DisagreesWithItsMatchingSha256_IsAMismatch_NotStrongestWins()
    {
        using var temp = new TempDir();
        string wrong = new string('0', 128);
        var ex = Assert.Throws<SigstoreCheckException>(() => GitHubAttestationPolicy.CheckStatement(
            Statement(Subject("a", ("sha256", H(SHA256.Create())), ("sha512", wrong))), ContentArtifact(temp), null));
        Assert.Contains("subject 'a' has this artifact's sha256 but not its sha512", ex.Reason);

        // The other way round too: the weaker one disagreeing is no better.
        ex = Assert.Throws<SigstoreCheckException>(() => GitHubAttestationPolicy.CheckStatement(
            Statement(Subject("a", ("sha256", new string('0', 64)), ("sha512", H(SHA512.Create())))), ContentArtifact(temp), null));
        Assert.Contains("sha512 but not its sha256", ex.Reason);

        // Even when another subject matches cleanly: the statement contradicts itself about these bytes.
        Assert.Throws<SigstoreCheckException>(() => GitHubAttestationPolicy.CheckStatement(
            Statement(Subject("b", ("sha256", H(SHA256.Create()))), Subject("a", ("sha256", H(SHA256.Create())), ("sha384", new string('0', 96)))), ContentArtifact(temp), null));
    }

    [Fact]
    public void Subject_ListingOneAlgorithmTwiceWithDifferentValues_IsRefused()
    {
        using var temp = new TempDir();
        var ex = Assert.Throws<SigstoreCheckException>(() => GitHubAttestationPolicy.CheckStatement(
            Statement(Subject("a", ("sha256", H(SHA256.Create())), ("SHA256", new string('0', 64)))), ContentArtifact(temp), null));
        Assert.Contains("two different sha256 digests", ex.Reason);
    }

    [Theory]
    [InlineData("sha1")]
    [InlineData("md5")]
    public void Subject_NamedOnlyByAWeakDigest_IsRefusedAsWeak_EvenWhenItIsTheArtifacts(string algorithm)
    {
        using var temp = new TempDir();
        string hex = algorithm == "sha1" ? H(SHA1.Create()) : H(MD5.Create());
        var ex = Assert.Throws<SigstoreCheckException>(() => GitHubAttestationPolicy.CheckStatement(Statement(Subject("weak", (algorithm, hex))), ContentArtifact(temp), null));
        Assert.Contains("refused as too weak to identify an artifact", ex.Reason);
        Assert.Contains($"subject 'weak' names its artifact only by {algorithm}", ex.Reason);
    }

    [Fact]
    public void WeakOnlySubject_BesideAStrongMatchingOne_DoesNotStopTheMatch()
    {
        using var temp = new TempDir();
        GitHubAttestationPolicy.CheckStatement(Statement(Subject("pkg", ("sha1", new string('c', 40))), Subject("artifact", ("sha256", H(SHA256.Create())))), ContentArtifact(temp), null);
    }

    [Fact]
    public void Subject_WithOnlyUnknownAlgorithms_DoesNotMatch()
    {
        using var temp = new TempDir();
        var ex = Assert.Throws<SigstoreCheckException>(() => GitHubAttestationPolicy.CheckStatement(Statement(Subject("a", ("gitCommit", H(SHA256.Create())))), ContentArtifact(temp), null));
        Assert.Contains("do not include this artifact", ex.Reason);
    }

    [Fact]
    public void Artifact_DigestText_TakesSha256Sha384Sha512OfTheirLength()
    {
        Assert.True(SigstoreArtifact.TryParseDigest("sha384:" + new string('a', 96), out SigstoreArtifact? a));
        Assert.Equal(48, a!.Digest(ChecksumAlgorithm.SHA384)!.Length);
        Assert.Equal("sha384:" + new string('a', 96), a.Display);
        Assert.True(SigstoreArtifact.TryParseDigest("SHA512:" + new string('B', 128), out _));
        Assert.False(SigstoreArtifact.TryParseDigest("sha512:" + new string('a', 64), out _));
        Assert.False(SigstoreArtifact.TryParseDigest("sha1:" + new string('a', 40), out _));
        Assert.False(SigstoreArtifact.TryParseDigest("md5:" + new string('a', 32), out _));
        Assert.Throws<ArgumentException>(() => SigstoreArtifact.FromDigest(ChecksumAlgorithm.SHA1, new byte[20]));
    }
}
