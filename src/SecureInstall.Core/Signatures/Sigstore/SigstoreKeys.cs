using System.Security.Cryptography;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Nist;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;
using SecureInstall.Core.Checksums;

namespace SecureInstall.Core.Signatures.Sigstore;

/// <summary>
/// The public-key operations Sigstore needs (ECDSA P-256/384/521, Ed25519, RSA), through BouncyCastle because
/// netstandard2.0 has no ECDSA import from SubjectPublicKeyInfo and no Ed25519.
/// </summary>
internal static class SigstoreKeys
{
    public static AsymmetricKeyParameter FromSubjectPublicKeyInfo(byte[] der) => PublicKeyFactory.CreateKey(der);

    /// <summary>A trusted-root key: PKIX_* details are SubjectPublicKeyInfo, PKCS1_RSA_* a bare RSAPublicKey.</summary>
    public static AsymmetricKeyParameter FromTrustedRoot(byte[] raw, string? keyDetails)
    {
        if (keyDetails != null && keyDetails.StartsWith("PKCS1_RSA", StringComparison.Ordinal))
        {
            var rsa = RsaPublicKeyStructure.GetInstance(Asn1Object.FromByteArray(raw));
            return new RsaKeyParameters(false, rsa.Modulus, rsa.PublicExponent);
        }
        return PublicKeyFactory.CreateKey(raw);
    }

    public static byte[] SubjectPublicKeyInfo(AsymmetricKeyParameter key) =>
        SubjectPublicKeyInfoFactory.CreateSubjectPublicKeyInfo(key).GetEncoded(Asn1Encodable.Der);

    /// <summary>Reads a PEM "PUBLIC KEY" (SubjectPublicKeyInfo), the format cosign writes.</summary>
    public static AsymmetricKeyParameter FromPem(string pem, string source)
    {
        byte[]? der = PemBlock(pem, "PUBLIC KEY");
        if (der == null) throw new PublicKeyFormatException(source, "no '-----BEGIN PUBLIC KEY-----' block was found; give the PEM public key (cosign.pub).");
        try
        {
            return PublicKeyFactory.CreateKey(der);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or IOException or SecurityUtilityException)
        {
            throw new PublicKeyFormatException(source, "the PEM block is not a public key BouncyCastle can read.", ex);
        }
    }

    public static byte[]? PemBlock(string pem, string label)
    {
        string begin = $"-----BEGIN {label}-----", end = $"-----END {label}-----";
        int b = pem.IndexOf(begin, StringComparison.Ordinal);
        if (b < 0) return null;
        int e = pem.IndexOf(end, b, StringComparison.Ordinal);
        if (e < 0) return null;
        string body = pem.Substring(b + begin.Length, e - b - begin.Length);
        var sb = new StringBuilder(body.Length);
        foreach (char c in body)
        {
            if (!char.IsWhiteSpace(c)) sb.Append(c);
        }
        try
        {
            return Convert.FromBase64String(sb.ToString());
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>Checks a signature over a whole message; the digest is the one the key type implies (SHA-256 for P-256 and RSA).</summary>
    public static bool Verify(AsymmetricKeyParameter key, byte[] message, byte[] signature)
    {
        try
        {
            ISigner signer = key switch
            {
                Ed25519PublicKeyParameters => new Ed25519Signer(),
                ECPublicKeyParameters ec => SignerUtilities.GetSigner(EcDigest(ec) + "withECDSA"),
                RsaKeyParameters => SignerUtilities.GetSigner("SHA-256withRSA"),
                _ => throw new SigstoreCheckException($"keys of type {key.GetType().Name} are not supported"),
            };
            signer.Init(false, key);
            signer.BlockUpdate(message, 0, message.Length);
            return signer.VerifySignature(signature);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or IOException or CryptoException or InvalidCastException)
        {
            return false;   // a signature that is not even well-formed DER does not verify
        }
    }

    /// <summary>
    /// Checks a signature over a message of which only the digest is known (sha256:HEX input, or a large file hashed
    /// once). ECDSA and RSA PKCS#1 sign the digest, so this is exact; Ed25519 signs the message itself. An ECDSA key
    /// signs with its curve's digest (P-256 SHA-256, P-384 SHA-384, P-521 SHA-512), as Sigstore's algorithm registry pairs them.
    /// </summary>
    public static bool VerifyDigest(AsymmetricKeyParameter key, ChecksumAlgorithm algorithm, byte[] digest, byte[] signature)
    {
        try
        {
            switch (key)
            {
                case ECPublicKeyParameters ec:
                    if (EcDigest(ec) != DigestName(algorithm)) return false;
                    ISigner ecdsa = SignerUtilities.GetSigner("NONEwithECDSA");
                    ecdsa.Init(false, key);
                    ecdsa.BlockUpdate(digest, 0, digest.Length);
                    return ecdsa.VerifySignature(signature);
                case RsaKeyParameters:
                    var rsa = new RsaDigestSigner(new NullDigest(), algorithm switch
                    {
                        ChecksumAlgorithm.SHA256 => NistObjectIdentifiers.IdSha256,
                        ChecksumAlgorithm.SHA384 => NistObjectIdentifiers.IdSha384,
                        ChecksumAlgorithm.SHA512 => NistObjectIdentifiers.IdSha512,
                        _ => throw new SigstoreCheckException($"{algorithm} is not a digest a Sigstore signature is made over"),
                    });
                    rsa.Init(false, key);
                    rsa.BlockUpdate(digest, 0, digest.Length);
                    return rsa.VerifySignature(signature);
                default:
                    throw new SigstoreCheckException("an Ed25519 signature covers the whole artifact, so it cannot be checked from a digest alone; give the file");
            }
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or IOException or CryptoException or InvalidCastException)
        {
            return false;
        }
    }

    public static string Describe(AsymmetricKeyParameter key) => key switch
    {
        Ed25519PublicKeyParameters => "Ed25519",
        ECPublicKeyParameters ec => $"ECDSA P-{ec.Parameters.Curve.FieldSize}",
        RsaKeyParameters rsa => $"RSA {rsa.Modulus.BitLength}",
        _ => key.GetType().Name,
    };

    private static string DigestName(ChecksumAlgorithm algorithm) => "SHA-" + (ChecksumAlgorithms.DigestBytes(algorithm) * 8).ToString(System.Globalization.CultureInfo.InvariantCulture);

    // Sigstore pairs each curve with its own digest (PKIX_ECDSA_P384_SHA_384 and so on).
    private static string EcDigest(ECPublicKeyParameters ec) => ec.Parameters.Curve.FieldSize switch
    {
        <= 256 => "SHA-256",
        <= 384 => "SHA-384",
        _ => "SHA-512",
    };

    public static byte[] Sha256(byte[] data)
    {
        using SHA256 sha = SHA256.Create();
        return sha.ComputeHash(data);
    }

    /// <summary>Constant-time comparison (BouncyCastle's): false when either is null or the lengths differ.</summary>
    public static bool BytesEqual(byte[]? a, byte[]? b) => a != null && b != null && Org.BouncyCastle.Utilities.Arrays.FixedTimeEquals(a, b);

    public static X509Certificate Certificate(byte[] der, string what)
    {
        try
        {
            X509Certificate? cert = new X509CertificateParser().ReadCertificate(der);
            return cert ?? throw new FormatException($"{what} is empty");
        }
        catch (Exception ex) when (ex is ArgumentException or IOException or InvalidCastException or Org.BouncyCastle.Security.Certificates.CertificateException)
        {
            throw new FormatException($"{what} is not a DER X.509 certificate", ex);
        }
    }
}
