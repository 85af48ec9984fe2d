using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;
using Org.BouncyCastle.Bcpg.Sig;

namespace SecureInstall.Core.Signatures;

// Split from OpenPgpVerifier.cs by job (issue 19): the checks a signature and its key must pass once the signature is
// known to come from a trusted key (binding and back-signatures, revocation, expiry, key flags, hash strength).
public sealed partial class OpenPgpVerifier
{
    /// <summary>The checks on the key: the ones a forged or stale key would fail.</summary>
    private void CheckSigningKey(PgpSignature s, PgpPublicKeyRing ring, PgpPublicKey key, SignatureResult result)
    {
        PgpPublicKey primary = ring.GetPublicKey();
        string primaryName = OpenPgpKeyRing.FormatFingerprint(primary.GetFingerprint());
        string keyName = OpenPgpKeyRing.FormatKeyId(key.KeyId);
        DateTime signedAt = DateTime.SpecifyKind(s.CreationTime, DateTimeKind.Utc);

        foreach (PgpSignature revocation in primary.GetSignaturesOfType(PgpSignature.KeyRevocation))
        {
            if (revocation.KeyId == primary.KeyId && Holds(() => { revocation.InitVerify(primary); return revocation.VerifyCertification(primary); }))
                throw NotTrusted(result, primaryName, $"the key was revoked on {Day(revocation.CreationTime)}{RevocationReason(revocation)}");
        }

        PgpSignature? self = LatestSelfSignature(primary);
        if (self == null) throw NotTrusted(result, primaryName, "the key has no valid self-signature (its user IDs are not certified by the key itself)");
        CheckExpiry(result, primaryName, "the key", primary.CreationTime, self, signedAt);

        PgpSignature binding = self;
        if (key.KeyId != primary.KeyId)
        {
            foreach (PgpSignature revocation in key.GetSignaturesOfType(PgpSignature.SubkeyRevocation))
            {
                if (revocation.KeyId == primary.KeyId && Holds(() => { revocation.InitVerify(primary); return revocation.VerifyCertification(primary, key); }))
                    throw NotTrusted(result, primaryName, $"signing subkey {keyName} was revoked on {Day(revocation.CreationTime)}{RevocationReason(revocation)}");
            }
            PgpSignature? latest = null;
            foreach (PgpSignature b in key.GetSignaturesOfType(PgpSignature.SubkeyBinding))
            {
                if (b.KeyId != primary.KeyId || (latest != null && b.CreationTime <= latest.CreationTime)) continue;
                if (Holds(() => { b.InitVerify(primary); return b.VerifyCertification(primary, key); })) latest = b;
            }
            // A subkey not bound by the primary could be anyone's key pasted into the key file.
            binding = latest ?? throw NotTrusted(result, primaryName, $"subkey {keyName} has no valid binding signature from the primary key");
            // The back-signature proves the subkey's owner agreed to the binding: without it, a key could claim another's signing subkey.
            if (!HasBackSignature(binding, primary, key))
                throw NotTrusted(result, primaryName, $"signing subkey {keyName} has no valid back-signature (primary key binding)");
            CheckExpiry(result, primaryName, $"subkey {keyName}", key.CreationTime, binding, signedAt);
        }

        PgpSignatureSubpacketVector? flags = binding.GetHashedSubPackets();
        if (flags != null && flags.HasSubpacket(SignatureSubpacketTag.KeyFlags) && (flags.GetKeyFlags() & KeyFlags.SignData) == 0)
            throw NotTrusted(result, primaryName, $"key {keyName} is not certified for signing data (its key flags do not include 'sign')");

        if (key.CreationTime > s.CreationTime)
            throw new SignatureInvalidException(result.AsInvalid(), $"the signature ({Day(s.CreationTime)}) is older than the key that made it ({Day(key.CreationTime)})");
    }

    private void CheckExpiry(SignatureResult result, string primaryName, string what, DateTime created, PgpSignature selfSignature, DateTime signedAt)
    {
        PgpSignatureSubpacketVector? hashed = selfSignature.GetHashedSubPackets();
        if (hashed == null || !hashed.HasKeyExpirationTime()) return;
        long seconds = hashed.GetKeyExpirationTime();
        if (seconds <= 0) return;
        DateTime expires = DateTime.SpecifyKind(created, DateTimeKind.Utc).AddSeconds(seconds);
        if (expires <= signedAt)
            throw NotTrusted(result, primaryName, $"{what} expired on {Day(expires)}, before the signature was made ({Day(signedAt)})");
        if (expires <= Now && !_options.AllowExpiredKey)
            throw NotTrusted(result, primaryName, $"{what} expired on {Day(expires)}; get the publisher's current key, or allow an expired key explicitly for a signature made while it was valid");
    }

    private void CheckSignature(PgpSignature s, SignatureResult result)
    {
        DateTime signedAt = DateTime.SpecifyKind(s.CreationTime, DateTimeKind.Utc);
        PgpSignatureSubpacketVector? hashed = s.GetHashedSubPackets();
        if (hashed == null || !hashed.HasSignatureCreationTime())
            throw new SignatureInvalidException(result.AsInvalid(), "the signature has no signed creation time");
        if (hashed.HasSignatureExpirationTime())
        {
            long seconds = hashed.GetSignatureExpirationTime();
            if (seconds > 0 && signedAt.AddSeconds(seconds) <= Now)
                throw new SignatureInvalidException(result.AsInvalid(), $"the signature expired on {Day(signedAt.AddSeconds(seconds))}");
        }
        if (signedAt > Now + FutureSkew)
            throw new SignatureInvalidException(result.AsInvalid(), $"the signature says it was made on {Day(signedAt)}, in the future");
        // Collisions are practical for MD5 and SHA-1 (SHAttered, 2017): a signature over such a digest can be moved to other data.
        if (s.HashAlgorithm is HashAlgorithmTag.MD5 or HashAlgorithmTag.Sha1 or HashAlgorithmTag.RipeMD160 or HashAlgorithmTag.MD2 or HashAlgorithmTag.Tiger192 or HashAlgorithmTag.Haval5pass160)
            throw new SignatureInvalidException(result.AsInvalid(), $"it is made over a {s.HashAlgorithm} digest, which is broken for signatures; ask the publisher for a SHA-256 or stronger signature");
        foreach (SignatureSubpacketTag tag in hashed.GetCriticalTags())
        {
            if (tag is not (SignatureSubpacketTag.CreationTime or SignatureSubpacketTag.ExpireTime or SignatureSubpacketTag.IssuerKeyId
                or SignatureSubpacketTag.IssuerFingerprint or SignatureSubpacketTag.SignerUserId or SignatureSubpacketTag.PolicyUrl))
                throw new SignatureInvalidException(result.AsInvalid(), $"it has a critical '{tag}' subpacket this verifier does not act on (RFC 4880 5.2.3.1 requires rejecting it)");
        }
    }

    private static SignerNotTrustedException NotTrusted(SignatureResult result, string primaryName, string reason) =>
        new(result.AsInvalid(), primaryName, result.KeyId ?? primaryName, reason);

    private static bool HasBackSignature(PgpSignature binding, PgpPublicKey primary, PgpPublicKey subkey)
    {
        foreach (PgpSignatureSubpacketVector? area in new[] { binding.GetHashedSubPackets(), binding.GetUnhashedSubPackets() })
        {
            if (area == null) continue;
            PgpSignatureList embedded;
            try
            {
                embedded = area.GetEmbeddedSignatures();
            }
            catch (Exception ex) when (ex is PgpException or System.IO.IOException)
            {
                continue;
            }
            for (int i = 0; i < embedded.Count; i++)
            {
                PgpSignature back = embedded[i];
                if (back.SignatureType == PgpSignature.PrimaryKeyBinding && Holds(() => { back.InitVerify(subkey); return back.VerifyCertification(primary, subkey); }))
                    return true;
            }
        }
        return false;
    }

    /// <summary>The newest self-certification of a user ID, or direct-key signature, that verifies. It holds the key's current expiry and flags.</summary>
    private static PgpSignature? LatestSelfSignature(PgpPublicKey primary)
    {
        PgpSignature? latest = null;
        foreach ((string _, PgpSignature s) in UserIdCertifications(primary))
        {
            if (latest == null || s.CreationTime > latest.CreationTime) latest = s;
        }
        foreach (PgpSignature s in primary.GetSignaturesOfType(PgpSignature.DirectKey))
        {
            if (s.KeyId != primary.KeyId || (latest != null && s.CreationTime <= latest.CreationTime)) continue;
            if (Holds(() => { s.InitVerify(primary); return s.VerifyCertification(primary); })) latest = s;
        }
        return latest;
    }

    private static string? PrimaryUserId(PgpPublicKey primary)
    {
        string? first = null;
        foreach ((string id, PgpSignature s) in UserIdCertifications(primary))
        {
            if (s.GetHashedSubPackets()?.IsPrimaryUserId() == true) return id;
            first ??= id;
        }
        return first;
    }

    /// <summary>The primary key's own certifications of its user IDs that verify (revocations left out), in the key's order.</summary>
    private static System.Collections.Generic.IEnumerable<(string Id, PgpSignature Signature)> UserIdCertifications(PgpPublicKey primary)
    {
        foreach (string id in primary.GetUserIds())
        {
            foreach (PgpSignature s in primary.GetSignaturesForId(id))
            {
                if (s.KeyId != primary.KeyId || !s.IsCertification() || s.SignatureType == PgpSignature.CertificationRevocation) continue;
                if (Holds(() => { s.InitVerify(primary); return s.VerifyCertification(id, primary); })) yield return (id, s);
            }
        }
    }

    private static long IssuerKeyId(PgpSignature s)
    {
        if (s.KeyId != 0) return s.KeyId;
        byte[]? fp = s.GetHashedSubPackets()?.GetIssuerFingerprint()?.GetFingerprint();
        if (fp is { Length: 20 })
        {
            long id = 0;
            for (int i = 12; i < 20; i++) id = (id << 8) | fp[i];
            return id;
        }
        return 0;
    }

    /// <summary>A self-signature that cannot be checked (unknown algorithm, malformed) counts as absent, never as valid.</summary>
    private static bool Holds(Func<bool> check)
    {
        try
        {
            return check();
        }
        catch (Exception ex) when (ex is PgpException or System.IO.IOException or ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }

    private static string RevocationReason(PgpSignature revocation)
    {
        RevocationReason? reason = revocation.GetHashedSubPackets()?.GetRevocationReason();
        string? text = reason?.GetRevocationDescription();
        return string.IsNullOrEmpty(text) ? "" : $" ('{text}')";
    }

    private static string Day(DateTime t) => DateTime.SpecifyKind(t, DateTimeKind.Utc).ToString("yyyy-MM-dd HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture);

    private static string AlgorithmName(PublicKeyAlgorithmTag tag) => tag switch
    {
        PublicKeyAlgorithmTag.RsaGeneral or PublicKeyAlgorithmTag.RsaSign => "RSA",
        PublicKeyAlgorithmTag.Dsa => "DSA",
        PublicKeyAlgorithmTag.ECDsa => "ECDSA",
        PublicKeyAlgorithmTag.EdDsa_Legacy or PublicKeyAlgorithmTag.Ed25519 => "EdDSA",
        _ => tag.ToString(),
    };
}
