using SecureInstall.Core.Signatures;

namespace SecureInstall.Core.Tests.Signatures;

/// <summary>
/// The real signed lists in ../shared/corpus/checksums (see its INDEX.md), read in place. The publishers' public keys are
/// not in the corpus, so these prove the signatures are read as GnuPG reads them (issuer, hash, type) and that a key other
/// than the signer's is refused as SignerNotTrusted, never passed.
/// </summary>
public class CorpusSignatureTests
{
    private static string? Dir => TestPaths.Corpus is { } c ? Path.Combine(c, "checksums") : null;

    [SkippableTheory]
    [InlineData("node-v14.20.1_SHASUMS256.txt.sig", "7405533BE57C7D57", "141F07595B7B3FFE74309A937405533BE57C7D57")]
    [InlineData("fwbuilder-w32-bin_SHA512SUMS.sig", "8B178E31C48CF176", "23A612577C0F42179656A3058B178E31C48CF176")]
    [InlineData("ubuntu-jammy-core_SHA256SUMS.gpg", "1A5D6C4C7DB87C81", "D2EB44626FDDC30B513D5BB71A5D6C4C7DB87C81")]
    public void RealDetachedSignature_IsRead_WithItsIssuer(string file, string keyId, string issuerFingerprint)
    {
        Skip.If(Dir == null, "../shared/corpus is not present on this machine");
        using FileStream stream = File.OpenRead(Path.Combine(Dir!, file));
        var signature = Assert.Single(OpenPgpVerifier.ReadDetached(stream, file));
        Assert.Equal(keyId, OpenPgpKeyRing.FormatKeyId(signature.KeyId));
        Assert.Equal(issuerFingerprint, OpenPgpKeyRing.FormatFingerprint(signature.GetHashedSubPackets().GetIssuerFingerprint().GetFingerprint()));
        Assert.Equal(Org.BouncyCastle.Bcpg.OpenPgp.PgpSignature.BinaryDocument, signature.SignatureType);
    }

    [SkippableTheory]
    [InlineData("node-v14.20.1_SHASUMS256.txt", "node-v14.20.1_SHASUMS256.txt.sig", "7405533BE57C7D57")]
    [InlineData("fwbuilder-w32-bin_SHA512SUMS.bsd-tag.txt", "fwbuilder-w32-bin_SHA512SUMS.sig", "8B178E31C48CF176")]
    [InlineData("ubuntu-jammy-core_SHA256SUMS.all-binary-mode.txt", "ubuntu-jammy-core_SHA256SUMS.gpg", "1A5D6C4C7DB87C81")]
    public void RealDetachedSignature_WithAnotherKey_IsSignerNotTrusted(string list, string signature, string keyId)
    {
        Skip.If(Dir == null, "../shared/corpus is not present on this machine");
        var verifier = new OpenPgpVerifier(PgpTestKey.Create().Ring());
        var ex = Assert.Throws<SignerNotTrustedException>(() => verifier.VerifyFile(Path.Combine(Dir!, list), Path.Combine(Dir!, signature)));
        Assert.Contains(keyId, ex.Actual);
        Assert.False(ex.Result.IsValid);
    }

    [SkippableFact]
    public void RealClearSignedMoneroList_IsRead_AndRefusedWithAnotherKey()
    {
        Skip.If(Dir == null, "../shared/corpus is not present on this machine");
        string path = Path.Combine(Dir!, "monero-hashes.2016-04.clearsigned-sha256.txt");
        ClearSignedParts parts = ClearSignedParts.Parse(File.ReadAllText(path), path);
        Assert.StartsWith("This GPG-signed message exists", parts.SignedText);
        Assert.EndsWith("Riccardo \"fluffypony\" Spagni\n", parts.SignedText);
        var signature = Assert.Single(OpenPgpVerifier.ReadDetached(new MemoryStream(System.Text.Encoding.ASCII.GetBytes(parts.SignatureArmor)), path));
        Assert.Equal("55432DF31CCD4FCD", OpenPgpKeyRing.FormatKeyId(signature.KeyId)); // fluffypony's key
        Assert.Equal(Org.BouncyCastle.Bcpg.OpenPgp.PgpSignature.CanonicalTextDocument, signature.SignatureType);

        using FileStream stream = File.OpenRead(path);
        var ex = Assert.Throws<SignerNotTrustedException>(() => new OpenPgpVerifier(PgpTestKey.Create().Ring()).VerifyClearSigned(stream, path));
        Assert.Contains("55432DF31CCD4FCD", ex.Actual);
    }
}
