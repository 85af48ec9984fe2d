using System.Text;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;
using SecureInstall.Core.Signatures;

namespace SecureInstall.Core.Tests.Signatures;

public class OpenPgpVerifierTests
{
    private static readonly byte[] Data = Encoding.UTF8.GetBytes("0123abcd  app.zip\n");

    private static SignatureResult Verify(PgpTestKey trusted, byte[] signature, byte[]? data = null, OpenPgpVerifierOptions? options = null) =>
        new OpenPgpVerifier(trusted.Ring(), options).Verify(new MemoryStream(data ?? Data), "SHA256SUMS", new MemoryStream(signature), "SHA256SUMS.sig");

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void GoodDetachedSignature_BinaryOrArmored_Verifies(bool armored)
    {
        var key = PgpTestKey.Create();
        SignatureResult r = Verify(key, key.Sign(Data, armored));
        Assert.True(r.IsValid);
        Assert.Equal(SignatureScheme.OpenPgp, r.Scheme);
        Assert.Equal(key.Fingerprint, r.Fingerprint);
        Assert.Equal(OpenPgpKeyRing.FormatKeyId(key.Primary.KeyId), r.KeyId);
        Assert.Equal("Test Signer <signer@example.invalid>", r.Signer);
        Assert.Contains("SHA256", r.Algorithm);
        Assert.NotNull(r.SignedAt);
    }

    [Fact]
    public void ArmoredDetachedSignature_SavedWithAUtf8Bom_Verifies()
    {
        // An editor on Windows adds the mark. The key reader and the clear-signed check skipped it; the detached-signature
        // reader looked for it after an ASCII decode (which had turned it into '???') and refused the signature.
        var key = PgpTestKey.Create();
        byte[] signature = new byte[] { 0xEF, 0xBB, 0xBF }.Concat(key.Sign(Data, armored: true)).ToArray();
        Assert.True(Verify(key, signature).IsValid);
    }

    [Fact]
    public void SigningSubkey_WithBindingAndBackSignature_Verifies_AndNamesTheSubkey()
    {
        var key = PgpTestKey.Create(withSubkey: true);
        SignatureResult r = Verify(key, key.Sign(Data));
        Assert.Equal(OpenPgpKeyRing.FormatKeyId(key.Subkey!.KeyId), r.KeyId);
        Assert.Equal(key.Fingerprint, r.Fingerprint);
    }

    [Fact]
    public void TamperedFile_IsSignatureInvalid()
    {
        var key = PgpTestKey.Create(withSubkey: true);
        byte[] tampered = (byte[])Data.Clone();
        tampered[0] ^= 1;
        var ex = Assert.Throws<SignatureInvalidException>(() => Verify(key, key.Sign(Data), tampered));
        Assert.Equal(ErrorIds.SignatureInvalid, ex.ErrorId);
        Assert.False(ex.Result.IsValid);
        Assert.Equal(key.Fingerprint, ex.Result.Fingerprint);
    }

    [Fact]
    public void WrongKey_IsSignerNotTrusted_NamingTheIssuer()
    {
        var signer = PgpTestKey.Create();
        var trusted = PgpTestKey.Create();
        var ex = Assert.Throws<SignerNotTrustedException>(() => Verify(trusted, signer.Sign(Data)));
        Assert.Equal(ErrorIds.SignerNotTrusted, ex.ErrorId);
        Assert.Contains(signer.Fingerprint, ex.Actual);
        Assert.Contains(trusted.Fingerprint, ex.Expected);
    }

    [Fact]
    public void FingerprintPin_Matching_Verifies_WithSpacesAndLowerCase()
    {
        var key = PgpTestKey.Create();
        string spaced = string.Join(" ", Enumerable.Range(0, 10).Select(i => key.Fingerprint.Substring(i * 4, 4))).ToLowerInvariant();
        Assert.True(Verify(key, key.Sign(Data), options: new OpenPgpVerifierOptions { Fingerprint = spaced }).IsValid);
    }

    [Fact]
    public void FingerprintPin_OfAnotherKey_IsSignerNotTrusted_EvenWhenTheKeyFileHoldsTheSigner()
    {
        var key = PgpTestKey.Create();
        var ex = Assert.Throws<SignerNotTrustedException>(() =>
            Verify(key, key.Sign(Data), options: new OpenPgpVerifierOptions { Fingerprint = new string('A', 40) }));
        Assert.Contains("pinned", ex.Message);
    }

    [Theory]
    [InlineData("02652EAC77DD49B9")]
    [InlineData("77DD49B9")]
    [InlineData("not hex at all, not hex at all, not hex!")]
    public void ShortKeyIdPin_IsRefused(string pin)
    {
        var key = PgpTestKey.Create();
        var ex = Assert.Throws<InvalidFingerprintException>(() => new OpenPgpVerifier(key.Ring(), new OpenPgpVerifierOptions { Fingerprint = pin }));
        Assert.Equal(FailureKind.InvalidArgument, ex.Kind);
    }

    [Fact]
    public void ExpiredKey_IsSignerNotTrusted()
    {
        var key = PgpTestKey.Create(created: PgpTestKey.Now.AddDays(-10), keyExpirySeconds: 86400);
        var ex = Assert.Throws<SignerNotTrustedException>(() => Verify(key, key.Sign(Data)));
        Assert.Contains("expired", ex.Reason);
    }

    [Fact]
    public void ExpiredKey_SignatureMadeWhileValid_IsRefusedByDefault_AndAcceptedWhenAllowed()
    {
        DateTime created = PgpTestKey.Now.AddDays(-10);
        var key = PgpTestKey.Create(created: created, keyExpirySeconds: 86400);
        byte[] sig = key.Sign(Data, at: created.AddHours(1));
        Assert.Throws<SignerNotTrustedException>(() => Verify(key, sig));
        Assert.True(Verify(key, sig, options: new OpenPgpVerifierOptions { AllowExpiredKey = true }).IsValid);
    }

    [Fact]
    public void ExpiredKey_SignatureMadeAfterExpiry_IsRefusedEvenWhenExpiredKeysAreAllowed()
    {
        var key = PgpTestKey.Create(created: PgpTestKey.Now.AddDays(-10), keyExpirySeconds: 86400);
        var ex = Assert.Throws<SignerNotTrustedException>(() => Verify(key, key.Sign(Data), options: new OpenPgpVerifierOptions { AllowExpiredKey = true }));
        Assert.Contains("before the signature was made", ex.Reason);
    }

    [Fact]
    public void ExpiredSubkey_IsSignerNotTrusted()
    {
        var key = PgpTestKey.Create(created: PgpTestKey.Now.AddDays(-10), withSubkey: true, subkeyExpirySeconds: 86400);
        var ex = Assert.Throws<SignerNotTrustedException>(() => Verify(key, key.Sign(Data)));
        Assert.Contains("subkey", ex.Reason);
        Assert.Contains("expired", ex.Reason);
    }

    [Fact]
    public void RevokedSubkey_IsSignerNotTrusted()
    {
        var key = PgpTestKey.Create(withSubkey: true);
        byte[] sig = key.Sign(Data);
        key.RevokeSubkey();
        var ex = Assert.Throws<SignerNotTrustedException>(() => Verify(key, sig));
        Assert.Contains("revoked", ex.Reason);
        Assert.Contains("test compromise", ex.Reason);
    }

    [Fact]
    public void RevokedPrimaryKey_IsSignerNotTrusted()
    {
        var key = PgpTestKey.Create();
        byte[] sig = key.Sign(Data);
        key.RevokePrimary();
        Assert.Contains("revoked", Assert.Throws<SignerNotTrustedException>(() => Verify(key, sig)).Reason);
    }

    [Fact]
    public void SubkeyWithoutBackSignature_IsSignerNotTrusted()
    {
        var key = PgpTestKey.Create(withSubkey: true, backSignature: false);
        Assert.Contains("back-signature", Assert.Throws<SignerNotTrustedException>(() => Verify(key, key.Sign(Data))).Reason);
    }

    [Fact]
    public void SubkeyNotCertifiedForSigning_IsSignerNotTrusted()
    {
        var key = PgpTestKey.Create(withSubkey: true, subkeyCanSign: false, backSignature: false);
        Assert.Throws<SignerNotTrustedException>(() => Verify(key, key.Sign(Data)));
    }

    [Fact]
    public void SubkeyBoundByAnotherPrimary_IsSignerNotTrusted()
    {
        // An attacker appends their own subkey packet to the trusted key file; its binding is not the trusted primary's.
        var trusted = PgpTestKey.Create();
        var attacker = PgpTestKey.Create(withSubkey: true);
        using var file = new MemoryStream();
        trusted.PrimaryPublic.Encode(file);
        attacker.SubkeyPublic!.Encode(file);
        var ring = OpenPgpKeyRing.Load(new MemoryStream(file.ToArray()), "spliced.gpg");
        var ex = Assert.Throws<SignerNotTrustedException>(() =>
            new OpenPgpVerifier(ring).Verify(new MemoryStream(Data), "d", new MemoryStream(attacker.Sign(Data)), "d.sig"));
        Assert.Contains("binding", ex.Reason);
    }

    [Fact]
    public void ExpiredSignature_IsSignatureInvalid()
    {
        var key = PgpTestKey.Create(created: PgpTestKey.Now.AddDays(-10));
        var ex = Assert.Throws<SignatureInvalidException>(() => Verify(key, key.Sign(Data, at: PgpTestKey.Now.AddDays(-2), expirySeconds: 86400)));
        Assert.Contains("expired", ex.Reason);
    }

    [Fact]
    public void Sha1Signature_IsSignatureInvalid()
    {
        var key = PgpTestKey.Create();
        Assert.Contains("Sha1", Assert.Throws<SignatureInvalidException>(() => Verify(key, key.Sign(Data, hash: HashAlgorithmTag.Sha1))).Reason);
    }

    [Fact]
    public void SignatureOlderThanItsKey_IsSignatureInvalid()
    {
        var key = PgpTestKey.Create(created: PgpTestKey.Now.AddDays(-1));
        Assert.Throws<SignatureInvalidException>(() => Verify(key, key.Sign(Data, at: PgpTestKey.Now.AddDays(-3))));
    }

    [Fact]
    public void KeyFile_WithSeveralArmoredBlocks_TrustsEachKey()
    {
        var a = PgpTestKey.Create();
        var b = PgpTestKey.Create();
        byte[] both = a.PublicKeyFile().Concat(Encoding.ASCII.GetBytes("\n")).Concat(b.PublicKeyFile()).ToArray();
        var ring = OpenPgpKeyRing.Load(new MemoryStream(both), "keys.asc");
        Assert.Equal(2, ring.Fingerprints.Count);
        Assert.True(new OpenPgpVerifier(ring).Verify(new MemoryStream(Data), "d", new MemoryStream(b.Sign(Data)), "d.sig").IsValid);
    }

    [Fact]
    public void KeyFile_Binary_IsRead()
    {
        var key = PgpTestKey.Create(withSubkey: true);
        var ring = OpenPgpKeyRing.Load(new MemoryStream(key.PublicKeyFile(armored: false)), "key.gpg");
        Assert.Equal(key.Fingerprint, Assert.Single(ring.Fingerprints));
    }

    [Theory]
    [InlineData("-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nxcLYBF\n-----END PGP PRIVATE KEY BLOCK-----\n")]
    [InlineData("just text")]
    [InlineData("")]
    public void KeyFile_PrivateOrGarbage_IsPublicKeyInvalid(string text)
    {
        var ex = Assert.Throws<PublicKeyFormatException>(() => OpenPgpKeyRing.Load(new MemoryStream(Encoding.ASCII.GetBytes(text)), "key.asc"));
        Assert.Equal(ErrorIds.PublicKeyInvalid, ex.ErrorId);
    }

    [Theory]
    [InlineData("")]
    [InlineData("untrusted comment: x\nRWQ\ntrusted comment: y\nAAA\n")]
    [InlineData("-----BEGIN PGP SIGNATURE-----\n\n!!!!\n-----END PGP SIGNATURE-----\n")]
    public void Signature_Garbage_IsSignatureFormatInvalid(string text)
    {
        var key = PgpTestKey.Create();
        Assert.Throws<SignatureFormatException>(() => Verify(key, Encoding.ASCII.GetBytes(text)));
    }

    [Fact]
    public void Signature_ThatIsAKey_IsSignatureFormatInvalid()
    {
        var key = PgpTestKey.Create();
        Assert.Throws<SignatureFormatException>(() => Verify(key, key.PublicKeyFile(armored: false)));
    }

    [Fact]
    public void ClearSigned_Good_ReturnsOnlyTheSignedText()
    {
        var key = PgpTestKey.Create(withSubkey: true);
        string message = key.ClearSign("abc123  app.zip   \n-dash line\n");
        ClearSignedText r = new OpenPgpVerifier(key.Ring()).VerifyClearSigned(new MemoryStream(Encoding.UTF8.GetBytes(message)), "SHA256SUMS");
        Assert.True(r.Signature.IsValid);
        Assert.Equal("abc123  app.zip\n-dash line\n", r.SignedText);
    }

    [Fact]
    public void ClearSigned_TamperedLine_IsSignatureInvalid()
    {
        var key = PgpTestKey.Create();
        string message = key.ClearSign("abc123  app.zip\n").Replace("abc123", "abc124");
        Assert.Throws<SignatureInvalidException>(() => new OpenPgpVerifier(key.Ring()).VerifyClearSigned(new MemoryStream(Encoding.UTF8.GetBytes(message)), "l"));
    }

    [Theory]
    [InlineData("ffff  evil.zip\n", "")]
    [InlineData("", "ffff  evil.zip\n")]
    public void ClearSigned_TextOutsideTheSignedPart_IsRefused(string before, string after)
    {
        var key = PgpTestKey.Create();
        string message = before + key.ClearSign("abc123  app.zip\n") + after;
        Assert.Throws<SignatureFormatException>(() => new OpenPgpVerifier(key.Ring()).VerifyClearSigned(new MemoryStream(Encoding.UTF8.GetBytes(message)), "l"));
    }

    [Fact]
    public void ClearSigned_UnknownHeader_IsRefused()
    {
        var key = PgpTestKey.Create();
        string message = key.ClearSign("abc\n").Replace("Hash: SHA256\n", "Hash: SHA256\nComment: ffff  evil.zip\n");
        Assert.Throws<SignatureFormatException>(() => new OpenPgpVerifier(key.Ring()).VerifyClearSigned(new MemoryStream(Encoding.UTF8.GetBytes(message)), "l"));
    }

    // GnuPG-made vectors (tests/pester/fixtures/signatures/README.md): interoperability with the reference implementation.
    private static string Vector(string name) => Path.Combine(TestPaths.RepositoryRoot, "tests", "pester", "fixtures", "signatures", name);

    [Theory]
    [InlineData("signer.pub.asc", "SHA256SUMS.asc", "63F1A99DBAC50892", "01461741D1D1D2745FB4D2B602652EAC77DD49B9")]
    [InlineData("rsa.pub.asc", "SHA256SUMS.rsa.asc", "3FD3C16D08FA36C4", "93EFCB134BC45FCFD1AFF7093FD3C16D08FA36C4")]
    public void GnuPGDetachedSignature_Verifies(string keyFile, string signature, string keyId, string fingerprint)
    {
        var verifier = new OpenPgpVerifier(OpenPgpKeyRing.FromFile(Vector(keyFile)), new OpenPgpVerifierOptions { Fingerprint = fingerprint });
        SignatureResult r = verifier.VerifyFile(Vector("SHA256SUMS"), Vector(signature));
        Assert.Equal(keyId, r.KeyId);
        Assert.Equal(fingerprint, r.Fingerprint);
    }

    [Fact]
    public void GnuPGDetachedSignature_WithTheOtherKey_IsSignerNotTrusted()
    {
        var verifier = new OpenPgpVerifier(OpenPgpKeyRing.FromFile(Vector("rsa.pub.asc")));
        Assert.Throws<SignerNotTrustedException>(() => verifier.VerifyFile(Vector("SHA256SUMS"), Vector("SHA256SUMS.asc")));
    }

    [Fact]
    public void GnuPGClearSignedText_WithTrailingWhitespaceAndDashes_Verifies()
    {
        var verifier = new OpenPgpVerifier(OpenPgpKeyRing.FromFile(Vector("signer.pub.asc")));
        using FileStream message = File.OpenRead(Vector("SHA256SUMS.clearsigned.txt"));
        ClearSignedText r = verifier.VerifyClearSigned(message, "SHA256SUMS.clearsigned.txt");
        Assert.Equal("Release checksums\n- a line that starts with a dash\n\n6ae8a75555209fd6c44157c0aed8016e763ff435a19cf186f76863140143ff72  app.zip\n-----\n", r.SignedText);
    }
}
