using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;
using SecureInstall.Core.Signatures;

namespace SecureInstall.Core.Tests.Signatures;

/// <summary>
/// OpenPGP keys made in the test with BouncyCastle (EdDSA, so generation is instant): a primary with a user ID and
/// optionally a signing subkey, with control over creation times, expiry, flags, back-signature and revocation.
/// </summary>
internal sealed class PgpTestKey
{
    private static readonly SecureRandom Random = new();

    public PgpKeyPair Primary { get; private set; } = null!;
    public PgpKeyPair? Subkey { get; private set; }
    public PgpPublicKey PrimaryPublic { get; private set; } = null!;
    public PgpPublicKey? SubkeyPublic { get; private set; }

    public PgpKeyPair Signer => Subkey ?? Primary;

    public string Fingerprint => OpenPgpKeyRing.FormatFingerprint(Primary.PublicKey.GetFingerprint());

    public static DateTime Now => DateTime.UtcNow.AddSeconds(-5);

    public static PgpTestKey Create(
        string userId = "Test Signer <signer@example.invalid>",
        DateTime? created = null,
        long keyExpirySeconds = 0,
        bool withSubkey = false,
        long subkeyExpirySeconds = 0,
        bool subkeyCanSign = true,
        bool backSignature = true)
    {
        DateTime t = created ?? Now.AddDays(-1);
        var key = new PgpTestKey { Primary = NewPair(t) };
        var hashed = new PgpSignatureSubpacketGenerator();
        hashed.SetSignatureCreationTime(false, t);
        hashed.SetKeyFlags(false, withSubkey ? PgpKeyFlags.CanCertify : PgpKeyFlags.CanCertify | PgpKeyFlags.CanSign);
        if (keyExpirySeconds > 0) hashed.SetKeyExpirationTime(false, keyExpirySeconds);
        // The ring generator writes the self-certification and, for a subkey, a real subkey packet and its binding.
        var rings = new PgpKeyRingGenerator(PgpSignature.PositiveCertification, key.Primary, userId, SymmetricKeyAlgorithmTag.Aes256,
            HashAlgorithmTag.Sha256, Array.Empty<char>(), false, hashed.Generate(), null, Random);

        if (withSubkey)
        {
            key.Subkey = NewPair(t);
            var bindingPackets = new PgpSignatureSubpacketGenerator();
            bindingPackets.SetSignatureCreationTime(false, t);
            bindingPackets.SetKeyFlags(false, subkeyCanSign ? PgpKeyFlags.CanSign : PgpKeyFlags.CanEncryptStorage);
            if (subkeyExpirySeconds > 0) bindingPackets.SetKeyExpirationTime(false, subkeyExpirySeconds);
            if (backSignature)
            {
                var back = new PgpSignatureGenerator(key.Subkey.PublicKey.Algorithm, HashAlgorithmTag.Sha256);
                back.InitSign(PgpSignature.PrimaryKeyBinding, key.Subkey.PrivateKey);
                var backPackets = new PgpSignatureSubpacketGenerator();
                backPackets.SetSignatureCreationTime(false, t);
                back.SetHashedSubpackets(backPackets.Generate());
                bindingPackets.AddEmbeddedSignature(false, back.GenerateCertification(key.Primary.PublicKey, key.Subkey.PublicKey));
            }
            rings.AddSubKey(key.Subkey, bindingPackets.Generate(), null, HashAlgorithmTag.Sha256);
        }
        PgpPublicKeyRing ring = rings.GeneratePublicKeyRing();
        key.PrimaryPublic = ring.GetPublicKey();
        key.SubkeyPublic = key.Subkey == null ? null : ring.GetPublicKey(key.Subkey.KeyId);
        return key;
    }

    public void RevokeSubkey()
    {
        var gen = new PgpSignatureGenerator(Primary.PublicKey.Algorithm, HashAlgorithmTag.Sha256);
        gen.InitSign(PgpSignature.SubkeyRevocation, Primary.PrivateKey);
        var packets = new PgpSignatureSubpacketGenerator();
        packets.SetSignatureCreationTime(false, Now);
        packets.SetRevocationReason(false, RevocationReasonTag.KeyCompromised, "test compromise");
        gen.SetHashedSubpackets(packets.Generate());
        SubkeyPublic = PgpPublicKey.AddCertification(SubkeyPublic!, gen.GenerateCertification(PrimaryPublic, SubkeyPublic!));
    }

    public void RevokePrimary()
    {
        var gen = new PgpSignatureGenerator(Primary.PublicKey.Algorithm, HashAlgorithmTag.Sha256);
        gen.InitSign(PgpSignature.KeyRevocation, Primary.PrivateKey);
        var packets = new PgpSignatureSubpacketGenerator();
        packets.SetSignatureCreationTime(false, Now);
        gen.SetHashedSubpackets(packets.Generate());
        PrimaryPublic = PgpPublicKey.AddCertification(PrimaryPublic, gen.GenerateCertification(PrimaryPublic));
    }

    /// <summary>The public key file, binary or armored.</summary>
    public byte[] PublicKeyFile(bool armored = true)
    {
        using var raw = new MemoryStream();
        PrimaryPublic.Encode(raw);
        SubkeyPublic?.Encode(raw);
        if (!armored) return raw.ToArray();
        using var output = new MemoryStream();
        using (var armor = new ArmoredOutputStream(output))
        {
            armor.Write(raw.ToArray());
        }
        return output.ToArray();
    }

    public OpenPgpKeyRing Ring() => OpenPgpKeyRing.Load(new MemoryStream(PublicKeyFile()), "test.asc");

    /// <summary>A detached signature over <paramref name="data"/>, binary or armored.</summary>
    public byte[] Sign(byte[] data, bool armored = false, DateTime? at = null, long expirySeconds = 0,
        HashAlgorithmTag hash = HashAlgorithmTag.Sha256, int type = PgpSignature.BinaryDocument, PgpKeyPair? by = null)
    {
        PgpKeyPair signer = by ?? Signer;
        var gen = new PgpSignatureGenerator(signer.PublicKey.Algorithm, hash);
        gen.InitSign(type, signer.PrivateKey);
        var packets = new PgpSignatureSubpacketGenerator();
        packets.SetSignatureCreationTime(false, at ?? Now);
        packets.SetIssuerFingerprint(false, signer.PublicKey);
        if (expirySeconds > 0) packets.SetSignatureExpirationTime(false, expirySeconds);
        gen.SetHashedSubpackets(packets.Generate());
        gen.Update(data);
        using var output = new MemoryStream();
        if (armored)
        {
            using var armor = new ArmoredOutputStream(output);
            gen.Generate().Encode(armor);
        }
        else
        {
            gen.Generate().Encode(output);
        }
        return output.ToArray();
    }

    /// <summary>A clear-signed message as gpg --clearsign writes it: dash-escaping, trailing whitespace not signed.</summary>
    public string ClearSign(string text)
    {
        string[] lines = text.Replace("\r\n", "\n").TrimEnd('\n').Split('\n');
        string canonical = string.Join("\r\n", lines.Select(l => l.TrimEnd(' ', '\t')));
        byte[] armored = Sign(System.Text.Encoding.UTF8.GetBytes(canonical), armored: true, type: PgpSignature.CanonicalTextDocument);
        var sb = new System.Text.StringBuilder("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n");
        foreach (string l in lines) sb.Append(l.StartsWith('-') ? "- " + l : l).Append('\n');
        sb.Append(System.Text.Encoding.ASCII.GetString(armored).Replace("\r\n", "\n"));
        return sb.ToString();
    }

    private static PgpKeyPair NewPair(DateTime created)
    {
        var generator = new Ed25519KeyPairGenerator();
        generator.Init(new Ed25519KeyGenerationParameters(Random));
        return new PgpKeyPair(PublicKeyAlgorithmTag.EdDsa_Legacy, generator.GenerateKeyPair(), created);
    }
}
