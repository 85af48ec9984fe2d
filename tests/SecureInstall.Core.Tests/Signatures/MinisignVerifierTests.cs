using System.Text;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Security;
using SecureInstall.Core.Signatures;

namespace SecureInstall.Core.Tests.Signatures;

public class MinisignVerifierTests
{
    // The official vectors of minisign's author, from jedisct1/rust-minisign-verify src/lib.rs
    // (commit 145b9950330ca903f20372ee6e5be6d46ed60025): tests `verify` (legacy "Ed") and `verify_prehashed` ("ED"),
    // and the prehashed example of the crate documentation. The signed file is the four bytes "test".
    private const string OfficialKey = "RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3";
    private const string OfficialKeyFile = "untrusted comment: minisign public key E7620F1842B4E81F\nRWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3\n";

    private const string OfficialLegacy =
        "untrusted comment: signature from minisign secret key\n" +
        "RWQf6LRCGA9i59SLOFxz6NxvASXDJeRtuZykwQepbDEGt87ig1BNpWaVWuNrm73YiIiJbq71Wi+dP9eKL8OC351vwIasSSbXxwA=\n" +
        "trusted comment: timestamp:1555779966\tfile:test\n" +
        "QtKMXWyYcwdpZAlPF7tE2ENJkRd1ujvKjlj1m9RtHTBnZPa5WKU5uWRs5GoP5M/VqE81QFuMKI5k/SfNQUaOAA==\n";

    private const string OfficialPrehashed =
        "untrusted comment: signature from minisign secret key\n" +
        "RUQf6LRCGA9i559r3g7V1qNyJDApGip8MfqcadIgT9CuhV3EMhHoN1mGTkUidF/z7SrlQgXdy8ofjb7bNJJylDOocrCo8KLzZwo=\n" +
        "trusted comment: timestamp:1556193335\tfile:test\n" +
        "y/rUw2y8/hOUYjZU71eHp/Wo1KZ40fGy2VJEDl34XMJM+TX48Ss/17u3IvIfbVR1FkZZSNCisQbuQY+bHwhEBg==\n";

    private const string OfficialPrehashedDocExample =
        "untrusted comment: signature from minisign secret key\n" +
        "RUQf6LRCGA9i559r3g7V1qNyJDApGip8MfqcadIgT9CuhV3EMhHoN1mGTkUidF/z7SrlQgXdy8ofjb7bNJJylDOocrCo8KLzZwo=\n" +
        "trusted comment: timestamp:1633700835\tfile:test\tprehashed\n" +
        "wLMDjy9FLAuxZ3q4NlEvkgtyhrr0gtTu6KC4KBJdITbbOeAi1zBIYo0v4iTgt8jJpIidRJnp94ABQkJAgAooBQ==\n";

    private static SignatureResult Verify(string key, string signature, string data) =>
        new MinisignVerifier(MinisignPublicKey.Parse(key, "key")).Verify(
            new MemoryStream(Encoding.UTF8.GetBytes(data)), "data", new MemoryStream(Encoding.UTF8.GetBytes(signature)), "data.minisig");

    [Fact]
    public void OfficialLegacyVector_Verifies_AndReturnsTheTrustedComment()
    {
        SignatureResult r = Verify(OfficialKey, OfficialLegacy, "test");
        Assert.True(r.IsValid);
        Assert.Equal(SignatureScheme.Minisign, r.Scheme);
        Assert.Equal("E7620F1842B4E81F", r.KeyId);
        Assert.Equal("timestamp:1555779966\tfile:test", r.TrustedComment);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1555779966), r.SignedAt);
        Assert.Contains("legacy", r.Algorithm);
    }

    [Theory]
    [InlineData(OfficialPrehashed, "timestamp:1556193335\tfile:test")]
    [InlineData(OfficialPrehashedDocExample, "timestamp:1633700835\tfile:test\tprehashed")]
    public void OfficialPrehashedVectors_Verify(string signature, string comment)
    {
        SignatureResult r = Verify(OfficialKeyFile, signature, "test");
        Assert.True(r.IsValid);
        Assert.Equal(comment, r.TrustedComment);
        Assert.Contains("BLAKE2b-512", r.Algorithm);
    }

    [Theory]
    [InlineData(OfficialLegacy)]
    [InlineData(OfficialPrehashed)]
    public void OfficialVector_OtherData_IsSignatureInvalid(string signature)
    {
        var ex = Assert.Throws<SignatureInvalidException>(() => Verify(OfficialKey, signature, "Test"));
        Assert.Equal(ErrorIds.SignatureInvalid, ex.ErrorId);
        Assert.Equal(FailureKind.Security, ex.Kind);
        Assert.False(ex.Result.IsValid);
        Assert.Null(ex.Result.TrustedComment); // never report an unverified comment as trusted
    }

    [Fact]
    public void OfficialVector_EditedTrustedComment_IsSignatureInvalid()
    {
        string edited = OfficialPrehashed.Replace("timestamp:1556193335", "timestamp:1556193336");
        var ex = Assert.Throws<SignatureInvalidException>(() => Verify(OfficialKey, edited, "test"));
        Assert.Contains("trusted comment", ex.Message);
    }

    [Fact]
    public void EditedUntrustedComment_StillVerifies()
    {
        string edited = OfficialPrehashed.Replace("signature from minisign secret key", "anything at all");
        Assert.True(Verify(OfficialKey, edited, "test").IsValid);
    }

    [Fact]
    public void CrLfSignatureFile_Verifies()
    {
        Assert.True(Verify(OfficialKey, OfficialPrehashed.Replace("\n", "\r\n"), "test").IsValid);
    }

    [Fact]
    public void GeneratedKey_GoodPrehashedSignature_Verifies()
    {
        var key = MinisignTestKey.Create();
        byte[] data = Encoding.UTF8.GetBytes("release bytes\n");
        SignatureResult r = Verify(key.PublicKeyBase64, key.Sign(data, "timestamp:1700000000\tfile:app.zip", prehashed: true), "release bytes\n");
        Assert.Equal(key.KeyId, r.KeyId);
        Assert.Equal("timestamp:1700000000\tfile:app.zip", r.TrustedComment);
    }

    [Fact]
    public void GeneratedKey_TamperedFile_IsSignatureInvalid()
    {
        var key = MinisignTestKey.Create();
        string sig = key.Sign(Encoding.UTF8.GetBytes("release bytes\n"), "timestamp:1700000000", prehashed: true);
        Assert.Throws<SignatureInvalidException>(() => Verify(key.PublicKeyBase64, sig, "release byteS\n"));
    }

    [Fact]
    public void GeneratedKey_TamperedTrustedComment_IsSignatureInvalid()
    {
        var key = MinisignTestKey.Create();
        string sig = key.Sign(Encoding.UTF8.GetBytes("x"), "timestamp:1700000000\tfile:app.zip", prehashed: false);
        string tampered = sig.Replace("file:app.zip", "file:evil.zip");
        var ex = Assert.Throws<SignatureInvalidException>(() => Verify(key.PublicKeyBase64, tampered, "x"));
        Assert.Contains("trusted comment", ex.Reason);
    }

    [Fact]
    public void WrongKey_IsSignerNotTrusted_NamingBothKeyIds()
    {
        var signer = MinisignTestKey.Create();
        var other = MinisignTestKey.Create();
        string sig = signer.Sign(Encoding.UTF8.GetBytes("x"), "t", prehashed: true);
        var ex = Assert.Throws<SignerNotTrustedException>(() => Verify(other.PublicKeyBase64, sig, "x"));
        Assert.Equal(ErrorIds.SignerNotTrusted, ex.ErrorId);
        Assert.Contains(other.KeyId, ex.Expected);
        Assert.Contains(signer.KeyId, ex.Actual);
    }

    [Fact]
    public void ForgedKeyId_WithAnotherKeysSignature_IsSignatureInvalid()
    {
        // An attacker's key that copies the trusted key id: the id matches, the Ed25519 check must still fail.
        var trusted = MinisignTestKey.Create();
        var attacker = MinisignTestKey.Create(trusted.KeyIdBytes);
        string sig = attacker.Sign(Encoding.UTF8.GetBytes("x"), "t", prehashed: true);
        Assert.Throws<SignatureInvalidException>(() => Verify(trusted.PublicKeyBase64, sig, "x"));
    }

    [Fact]
    public void LegacySignature_OverTheLimit_IsNotSupported_NotAPass()
    {
        var key = MinisignTestKey.Create();
        byte[] data = new byte[4096];
        string sig = key.Sign(data, "t", prehashed: false);
        var verifier = new MinisignVerifier(MinisignPublicKey.Parse(key.PublicKeyBase64, "k"), new MinisignVerifierOptions { MaximumLegacyBytes = 1024 });
        var ex = Assert.Throws<SignatureNotSupportedException>(() =>
            verifier.Verify(new MemoryStream(data), "big", new MemoryStream(Encoding.UTF8.GetBytes(sig)), "big.minisig"));
        Assert.Equal(FailureKind.NotSupported, ex.Kind);
    }

    [Theory]
    [InlineData("")]
    [InlineData("untrusted comment: x\nnot base64!\ntrusted comment: t\nAAAA\n")]
    [InlineData("untrusted comment: x\nRWQf6LRCGA9i59SLOFxz6NxvASXDJeRtuZykwQepbDEGt87ig1BNpWaVWuNrm73YiIiJbq71Wi+dP9eKL8OC351vwIasSSbXxwA=\n")]
    [InlineData("-----BEGIN PGP SIGNATURE-----\n\nabc\n-----END PGP SIGNATURE-----\n")]
    public void MalformedSignature_IsSignatureFormatInvalid(string signature)
    {
        var ex = Assert.Throws<SignatureFormatException>(() => Verify(OfficialKey, signature, "test"));
        Assert.Equal(ErrorIds.SignatureFormatInvalid, ex.ErrorId);
        Assert.Equal(FailureKind.InvalidData, ex.Kind);
    }

    [Theory]
    [InlineData("")]
    [InlineData("RWQf6LRC")]
    [InlineData("untrusted comment: a\nRWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3\nRWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3")]
    public void MalformedKey_IsPublicKeyInvalid(string key)
    {
        var ex = Assert.Throws<PublicKeyFormatException>(() => MinisignPublicKey.Parse(key, "-MinisignPublicKey"));
        Assert.Equal(ErrorIds.PublicKeyInvalid, ex.ErrorId);
    }

    [Fact]
    public void KeyFile_IsReadWithItsComment()
    {
        using var dir = new TempDir();
        MinisignPublicKey key = MinisignPublicKey.FromFile(dir.File("minisign.pub", OfficialKeyFile));
        Assert.Equal("E7620F1842B4E81F", key.KeyId);
    }

    [Fact]
    public void VerifyFile_ReadsBothFiles()
    {
        using var dir = new TempDir();
        string data = dir.File("test", "test");
        string sig = dir.File("test.minisig", OfficialPrehashed);
        Assert.True(new MinisignVerifier(MinisignPublicKey.Parse(OfficialKey, "k")).VerifyFile(data, sig).IsValid);
    }
}

/// <summary>A minisign key pair made in the test with BouncyCastle, signing as minisign does.</summary>
internal sealed class MinisignTestKey
{
    private readonly Ed25519PrivateKeyParameters _private;

    private MinisignTestKey(Ed25519PrivateKeyParameters key, byte[] keyId)
    {
        _private = key;
        KeyIdBytes = keyId;
    }

    public byte[] KeyIdBytes { get; }

    public string KeyId => MinisignPublicKey.Parse(PublicKeyBase64, "k").KeyId;

    public string PublicKeyBase64
    {
        get
        {
            byte[] raw = new byte[42];
            raw[0] = (byte)'E';
            raw[1] = (byte)'d';
            Buffer.BlockCopy(KeyIdBytes, 0, raw, 2, 8);
            _private.GeneratePublicKey().Encode(raw, 10);
            return Convert.ToBase64String(raw);
        }
    }

    public static MinisignTestKey Create(byte[]? keyId = null)
    {
        var generator = new Ed25519KeyPairGenerator();
        generator.Init(new Ed25519KeyGenerationParameters(new SecureRandom()));
        var pair = generator.GenerateKeyPair();
        keyId ??= RandomBytes(8);
        return new MinisignTestKey((Ed25519PrivateKeyParameters)pair.Private, keyId);
    }

    public string Sign(byte[] data, string trustedComment, bool prehashed)
    {
        byte[] message = data;
        if (prehashed)
        {
            var blake = new Blake2bDigest(512);
            blake.BlockUpdate(data, 0, data.Length);
            message = new byte[64];
            blake.DoFinal(message, 0);
        }
        byte[] signature = Ed25519(message);
        byte[] line = new byte[74];
        line[0] = (byte)'E';
        line[1] = prehashed ? (byte)'D' : (byte)'d';
        Buffer.BlockCopy(KeyIdBytes, 0, line, 2, 8);
        Buffer.BlockCopy(signature, 0, line, 10, 64);
        byte[] global = Ed25519(signature.Concat(Encoding.UTF8.GetBytes(trustedComment)).ToArray());
        return $"untrusted comment: signature from test key\n{Convert.ToBase64String(line)}\ntrusted comment: {trustedComment}\n{Convert.ToBase64String(global)}\n";
    }

    private byte[] Ed25519(byte[] message)
    {
        var signer = new Ed25519Signer();
        signer.Init(true, _private);
        signer.BlockUpdate(message, 0, message.Length);
        return signer.GenerateSignature();
    }

    private static byte[] RandomBytes(int n)
    {
        byte[] b = new byte[n];
        new SecureRandom().NextBytes(b);
        return b;
    }
}
