using System.Security.Cryptography;
using System.Text;
using SecureInstall.Core.Signatures;
using SecureInstall.Core.Signatures.Sigstore;

namespace SecureInstall.Core.Tests.Signatures.Sigstore;

/// <summary>Each Sigstore step on its own, with real log data from the corpus and with tampered copies.</summary>
public sealed class SigstoreStepTests
{
    private static string CaseDir(string name) => Path.Combine(SigstoreConformanceTests.CasesDir!, name);
    private static SigstoreBundle Bundle(string name) => SigstoreBundle.Load(Path.Combine(CaseDir(name), "bundle.sigstore.json"));
    private static TrustedRoot Production => TrustedRoot.Load(SigstoreConformanceTests.ProductionRoot!);
    private static TrustedRoot Own(string name) => TrustedRoot.Load(Path.Combine(CaseDir(name), "trusted_root.json"));
    private static bool HaveCorpus => SigstoreConformanceTests.CasesDir is string d && Directory.Exists(d);

    // ---- Merkle inclusion proofs (RFC 6962), on a tree built here ----

    private static byte[] Node(byte[] l, byte[] r) => SHA256.HashData(new byte[] { 1 }.Concat(l).Concat(r).ToArray());

    private static byte[] Root(IReadOnlyList<byte[]> leaves, int lo, int hi)
    {
        if (hi - lo == 1) return leaves[lo];
        int k = 1;
        while (k * 2 < hi - lo) k *= 2;
        return Node(Root(leaves, lo, lo + k), Root(leaves, lo + k, hi));
    }

    private static List<byte[]> Path_(IReadOnlyList<byte[]> leaves, int index, int lo, int hi)
    {
        if (hi - lo == 1) return new List<byte[]>();
        int k = 1;
        while (k * 2 < hi - lo) k *= 2;
        if (index < lo + k)
        {
            var p = Path_(leaves, index, lo, lo + k);
            p.Add(Root(leaves, lo + k, hi));
            return p;
        }
        var q = Path_(leaves, index, lo + k, hi);
        q.Add(Root(leaves, lo, lo + k));
        return q;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(13)]
    public void MerkleProof_EveryLeafOfGeneratedTrees_Verifies(int size)
    {
        var leaves = Enumerable.Range(0, size).Select(i => MerkleInclusionProof.LeafHash(Encoding.UTF8.GetBytes("entry " + i))).ToList();
        byte[] root = Root(leaves, 0, size);
        for (int i = 0; i < size; i++) MerkleInclusionProof.Verify(i, size, leaves[i], Path_(leaves, i, 0, size), root);
    }

    [Fact]
    public void MerkleProof_TamperedHashIndexSizeOrLeaf_Fails()
    {
        var leaves = Enumerable.Range(0, 11).Select(i => MerkleInclusionProof.LeafHash(new[] { (byte)i })).ToList();
        byte[] root = Root(leaves, 0, 11);
        var path = Path_(leaves, 5, 0, 11);
        var flipped = path.Select(h => (byte[])h.Clone()).ToList();
        flipped[1][0] ^= 1;
        Assert.Throws<SigstoreCheckException>(() => MerkleInclusionProof.Verify(5, 11, leaves[5], flipped, root));
        Assert.Throws<SigstoreCheckException>(() => MerkleInclusionProof.Verify(4, 11, leaves[5], path, root));
        // The size only shapes the path; a tree of another depth rejects it (the checkpoint binds the real size).
        Assert.Throws<SigstoreCheckException>(() => MerkleInclusionProof.Verify(5, 6, leaves[5], path, root));
        Assert.Throws<SigstoreCheckException>(() => MerkleInclusionProof.Verify(5, 40, leaves[5], path, root));
        Assert.Throws<SigstoreCheckException>(() => MerkleInclusionProof.Verify(5, 11, leaves[6], path, root));
        Assert.Throws<SigstoreCheckException>(() => MerkleInclusionProof.Verify(5, 11, leaves[5], path.Take(path.Count - 1).ToList(), root));
        Assert.Throws<SigstoreCheckException>(() => MerkleInclusionProof.Verify(11, 11, leaves[5], path, root));
    }

    [SkippableFact]
    public void MerkleProof_RealRekorEntry_VerifiesAndLeafHashUsesThe0x00Prefix()
    {
        Skip.IfNot(HaveCorpus);
        TransparencyLogEntry e = Bundle("happy-path-v0.3").TransparencyLogEntries[0];
        InclusionProof p = e.InclusionProof!;
        MerkleInclusionProof.Verify(p.LogIndex, p.TreeSize, MerkleInclusionProof.LeafHash(e.CanonicalizedBody), p.Hashes, p.RootHash);
        Assert.Throws<SigstoreCheckException>(() => MerkleInclusionProof.Verify(p.LogIndex, p.TreeSize, SHA256.HashData(e.CanonicalizedBody), p.Hashes, p.RootHash));
    }

    // ---- checkpoints (signed notes) ----

    private const string Note = "log.example\n736\nrs1YPY0ydAV0lxgfrq5pE4oRpUJwo3syeps5+eGUTDI=\n\n\u2014 log.example AAAAAQEC\n";

    [Fact]
    public void Checkpoint_Parse_ReadsOriginSizeRootAndSignatureLines()
    {
        Checkpoint c = Checkpoint.Parse(Note.Replace("\n\n", "\nTimestamp: 1\n\n") + "\u2014 witness.example BBBBBgAA\n");
        Assert.Equal("log.example", c.Origin);
        Assert.Equal(736, c.TreeSize);
        Assert.Equal(32, c.RootHash.Length);
        Assert.Equal(2, c.Signatures.Count);
        Assert.Equal("witness.example", c.Signatures[1].Name);
        Assert.Equal("log.example\n736\nrs1YPY0ydAV0lxgfrq5pE4oRpUJwo3syeps5+eGUTDI=\nTimestamp: 1\n", Encoding.UTF8.GetString(c.SignedBody));
    }

    [Theory]
    [InlineData("log.example\n736\nrs1YPY0ydAV0lxgfrq5pE4oRpUJwo3syeps5+eGUTDI=\n\u2014 log.example AAAAAQEC\n")]   // no blank line
    [InlineData("736\nrs1YPY0ydAV0lxgfrq5pE4oRpUJwo3syeps5+eGUTDI=\n\n\u2014 log.example AAAAAQEC\n")]               // no origin
    [InlineData("log.example\nrs1YPY0ydAV0lxgfrq5pE4oRpUJwo3syeps5+eGUTDI=\n\n\u2014 log.example AAAAAQEC\n")]         // no size
    [InlineData("log.example\n736\n\n\u2014 log.example AAAAAQEC\n")]                                                   // no root
    [InlineData("log.example\n736\nrs1YPY0ydAV0lxgfrq5pE4oRpUJwo3syeps5+eGUTDI=\n\n")]                                   // no signature
    [InlineData("log.example\n-5\nrs1YPY0ydAV0lxgfrq5pE4oRpUJwo3syeps5+eGUTDI=\n\n\u2014 log.example AAAAAQEC\n")]     // negative size
    [InlineData("log.example\n736\nrs1YPY0ydAV0lxgfrq5pE4oRpUJwo3syeps5+eGUTDI=\n\n- log.example AAAAAQEC\n")]         // not an em dash
    public void Checkpoint_Parse_MalformedNote_Fails(string note)
    {
        Assert.Throws<SigstoreCheckException>(() => Checkpoint.Parse(note));
    }

    [SkippableFact]
    public void Checkpoint_RealRekorV1AndV2_VerifyWithTheirLogKeys_AndNotWhenTampered()
    {
        Skip.IfNot(HaveCorpus);
        foreach ((string name, TrustedRoot root) in new[] { ("happy-path-v0.3", Production), ("rekor2-happy-path", Own("rekor2-happy-path")) })
        {
            TransparencyLogEntry e = Bundle(name).TransparencyLogEntries[0];
            TransparencyLogKey log = root.TransparencyLogs.Single(l => l.LogId.SequenceEqual(e.LogId));
            string note = e.InclusionProof!.Checkpoint!;
            Checkpoint.Parse(note).VerifySignedBy(log);
            string[] lines = note.Split('\n');
            lines[1] = (long.Parse(lines[1]) + 1).ToString();
            Assert.Throws<SigstoreCheckException>(() => Checkpoint.Parse(string.Join("\n", lines)).VerifySignedBy(log));
            TransparencyLogKey other = root.TransparencyLogs.First(l => !l.LogId.SequenceEqual(e.LogId));
            Assert.Throws<SigstoreCheckException>(() => Checkpoint.Parse(note).VerifySignedBy(other));
        }
    }

    // ---- signed entry timestamps ----

    [Fact]
    public void SetPayload_IsRekorsCanonicalJson()
    {
        byte[] payload = SignedEntryTimestamp.Payload(new byte[] { 1, 2, 3 }, 1689177396, new byte[] { 0xc0, 0xd2 }, 27246492);
        Assert.Equal("{\"body\":\"AQID\",\"integratedTime\":1689177396,\"logID\":\"c0d2\",\"logIndex\":27246492}", Encoding.UTF8.GetString(payload));
    }

    [SkippableFact]
    public void Set_RealEntry_Verifies_AndFailsWithAnyFieldChanged()
    {
        Skip.IfNot(HaveCorpus);
        string json = File.ReadAllText(Path.Combine(CaseDir("happy-path-v0.1"), "bundle.sigstore.json"));
        TransparencyLogEntry e = SigstoreBundle.Parse(Encoding.UTF8.GetBytes(json), "t").TransparencyLogEntries[0];
        TransparencyLogKey log = Production.TransparencyLogs.Single(l => l.LogId.SequenceEqual(e.LogId));
        SignedEntryTimestamp.Verify(e, log);
        foreach (string tampered in new[] { json.Replace("\"integratedTime\": \"1689177396\"", "\"integratedTime\": \"1689177397\""), json.Replace("\"logIndex\": \"27246492\"", "\"logIndex\": \"27246493\"") })
        {
            Assert.NotEqual(json, tampered);
            TransparencyLogEntry t = SigstoreBundle.Parse(Encoding.UTF8.GetBytes(tampered), "t").TransparencyLogEntries[0];
            Assert.Throws<SigstoreCheckException>(() => SignedEntryTimestamp.Verify(t, log));
        }
    }

    // ---- SCTs ----

    [SkippableFact]
    public void Sct_RealFulcioCertificate_Verifies_AndNotWithAnotherIssuerOrTamperedSignature()
    {
        Skip.IfNot(HaveCorpus);
        SigstoreBundle b = Bundle("happy-path-v0.3");
        TrustedRoot root = Production;
        var leaf = b.Certificates[0];
        var issuer = root.CertificateAuthorities.Select(ca => ca.Chain[0]).First(c => c.SubjectDN.Equivalent(leaf.IssuerDN) && FulcioCertificate.SignedBy(leaf, c));
        SignedCertificateTimestamps.Verify(leaf, issuer, root.CertificateTransparencyLogs);

        var wrongIssuer = root.CertificateAuthorities[^1].Chain[^1];
        Assert.Throws<SigstoreCheckException>(() => SignedCertificateTimestamps.Verify(leaf, wrongIssuer, root.CertificateTransparencyLogs));
        Assert.Throws<SigstoreCheckException>(() => SignedCertificateTimestamps.Verify(leaf, issuer, Own("invalid-ct-key_fail").CertificateTransparencyLogs));

        SignedCertificateTimestamp sct = SignedCertificateTimestamps.Read(leaf).Single();
        byte[] data = SignedCertificateTimestamps.SignedData(sct, SignedCertificateTimestamps.TbsWithoutSctList(leaf), SHA256.HashData(issuer.CertificateStructure.SubjectPublicKeyInfo.GetEncoded()));
        data[^1] ^= 1;
        TransparencyLogKey ct = root.CertificateTransparencyLogs.Single(l => l.LogId.SequenceEqual(sct.LogId));
        Assert.False(SigstoreKeys.Verify(ct.Key!, data, sct.Signature));
    }

    [SkippableFact]
    public void Sct_TbsWithoutSctList_DropsOnlyThatExtension()
    {
        Skip.IfNot(HaveCorpus);
        var leaf = Bundle("happy-path-v0.3").Certificates[0];
        byte[] full = leaf.GetTbsCertificate(), stripped = SignedCertificateTimestamps.TbsWithoutSctList(leaf);
        Assert.True(stripped.Length < full.Length);
        var tbs = Org.BouncyCastle.Asn1.X509.TbsCertificateStructure.GetInstance(stripped);
        Assert.Null(tbs.Extensions.GetExtension(new Org.BouncyCastle.Asn1.DerObjectIdentifier(SignedCertificateTimestamps.ExtensionOid)));
        Assert.Equal(leaf.CertificateStructure.TbsCertificate.Extensions.GetExtensionOids().Length - 1, tbs.Extensions.GetExtensionOids().Length);
    }

    // ---- trusted roots ----

    [SkippableFact]
    public void TrustedRoot_PublicGoodAndGitHub_Parse()
    {
        Skip.IfNot(HaveCorpus);
        TrustedRoot pg = Production;
        Assert.NotEmpty(pg.TransparencyLogs);
        Assert.NotEmpty(pg.CertificateAuthorities);
        TrustedRoot gh = TrustedRoot.Load(Path.Combine(TestPaths.Corpus!, "sigstore-trusted-roots", "github.json"));
        Assert.NotEmpty(gh.TimestampAuthorities);
        Assert.NotEmpty(gh.CertificateAuthorities);
    }

    [Fact]
    public void TrustedRoot_ShippedCopy_IsThePublicGoodRoot()
    {
        string shipped = Path.Combine(TestPaths.RepositoryRoot, "module", TrustedRoot.PublicGoodFileName);
        TrustedRoot root = TrustedRoot.Load(shipped);
        Assert.Contains(root.TransparencyLogs, l => l.BaseUrl == "https://rekor.sigstore.dev");
        Assert.Contains(root.CertificateAuthorities, c => c.Uri == "https://fulcio.sigstore.dev");
        TrustedRoot embedded = TrustedRoot.PublicGood();
        Assert.Equal(root.TransparencyLogs.Count, embedded.TransparencyLogs.Count);
    }

    [Fact]
    public void TrustedRoot_MissingValidityStartOrNotJson_IsTrustedRootInvalid()
    {
        var ex = Assert.Throws<TrustedRootFormatException>(() => TrustedRoot.Parse(Encoding.UTF8.GetBytes("{\"mediaType\":\"application/vnd.dev.sigstore.trustedroot+json;version=0.1\",\"tlogs\":[{\"baseUrl\":\"x\",\"publicKey\":{\"rawBytes\":\"AAAA\",\"validFor\":{}},\"logId\":{\"keyId\":\"AAAA\"}}]}"), "root.json"));
        Assert.Equal(ErrorIds.TrustedRootInvalid, ex.ErrorId);
        Assert.Contains("validFor.start", ex.Message);
        Assert.Throws<TrustedRootFormatException>(() => TrustedRoot.Parse(Encoding.UTF8.GetBytes("{"), "root.json"));
    }

    // ---- identity and attestation policy ----

    private static SignatureResult VerifyHappyDsse(SigstorePolicy policy)
    {
        var verifier = new SigstoreVerifier(Production, policy);
        return verifier.Verify(Bundle("happy-path-intoto-in-dsse-v3"), SigstoreArtifact.FromFile(Path.Combine(SigstoreConformanceTests.CasesDir!, "a.txt")));
    }

    [SkippableFact]
    public void Identity_RegexIsAnchored_AndIssuerMustMatch()
    {
        Skip.IfNot(HaveCorpus);
        SignatureResult ok = VerifyHappyDsse(SigstorePolicy.ForIdentityRegex("https://github\\.com/sigstore-conformance/.*", SigstoreConformanceTests.DefaultIssuer));
        Assert.True(ok.IsValid);
        Assert.Equal(SigstoreConformanceTests.DefaultIssuer, ok.OidcIssuer);
        Assert.Equal("https://slsa.dev/provenance/v1", ok.PredicateType);
        Assert.Throws<SignerNotTrustedException>(() => VerifyHappyDsse(SigstorePolicy.ForIdentityRegex("sigstore-conformance", SigstoreConformanceTests.DefaultIssuer)));
        Assert.Throws<SignerNotTrustedException>(() => VerifyHappyDsse(SigstorePolicy.ForIdentity(SigstoreConformanceTests.DefaultIdentity, "https://accounts.google.com")));
        Assert.Throws<SignerNotTrustedException>(() => VerifyHappyDsse(SigstorePolicy.ForIdentity(SigstoreConformanceTests.DefaultIdentity + "x", SigstoreConformanceTests.DefaultIssuer)));
    }

    [SkippableFact]
    public void Attestation_RepositoryOwnerWorkflowRunnerAndPredicate_AreChecked()
    {
        Skip.IfNot(HaveCorpus);
        const string repo = "sigstore-conformance/extremely-dangerous-public-oidc-beacon";
        Assert.True(VerifyHappyDsse(SigstorePolicy.ForGitHubAttestation(new GitHubAttestationPolicy { Repository = repo, DenySelfHostedRunners = true })).IsValid);
        Assert.True(VerifyHappyDsse(SigstorePolicy.ForGitHubAttestation(new GitHubAttestationPolicy { Owner = "sigstore-conformance" })).IsValid);
        Assert.True(VerifyHappyDsse(SigstorePolicy.ForGitHubAttestation(new GitHubAttestationPolicy { SignerWorkflow = repo + "/.github/workflows/extremely-dangerous-oidc-beacon.yml" })).IsValid);

        Assert.Throws<SignerNotTrustedException>(() => VerifyHappyDsse(SigstorePolicy.ForGitHubAttestation(new GitHubAttestationPolicy { Repository = "sigstore-conformance/other" })));
        Assert.Throws<SignerNotTrustedException>(() => VerifyHappyDsse(SigstorePolicy.ForGitHubAttestation(new GitHubAttestationPolicy { Owner = "sigstore" })));
        Assert.Throws<SignerNotTrustedException>(() => VerifyHappyDsse(SigstorePolicy.ForGitHubAttestation(new GitHubAttestationPolicy { SignerWorkflow = repo + "/.github/workflows/release.yml" })));
        Assert.Throws<SignatureInvalidException>(() => VerifyHappyDsse(SigstorePolicy.ForGitHubAttestation(new GitHubAttestationPolicy { Repository = repo, PredicateType = "https://spdx.dev/Document" })));
    }

    [SkippableFact]
    public void Attestation_SubjectMustBeTheArtifact()
    {
        Skip.IfNot(HaveCorpus);
        var verifier = new SigstoreVerifier(Production, SigstorePolicy.ForIdentity(SigstoreConformanceTests.DefaultIdentity, SigstoreConformanceTests.DefaultIssuer));
        var ex = Assert.Throws<SignatureInvalidException>(() => verifier.Verify(Bundle("happy-path-intoto-in-dsse-v3"), SigstoreArtifact.FromDigest(new byte[32])));
        Assert.Contains("subjects", ex.Message);
    }

    [Fact]
    public void Artifact_DigestText_ParsesSha256HexOfTheRightLength()
    {
        Assert.True(SigstoreArtifact.TryParseDigest("sha256:" + new string('a', 64), out SigstoreArtifact? a));
        Assert.Equal(32, a!.Sha256.Length);
        Assert.False(SigstoreArtifact.TryParseDigest("sha256:" + new string('a', 63), out _));
        Assert.False(SigstoreArtifact.TryParseDigest("sha512:" + new string('a', 64), out _));
        Assert.False(SigstoreArtifact.TryParseDigest("sha256:" + new string('g', 64), out _));
    }
}
