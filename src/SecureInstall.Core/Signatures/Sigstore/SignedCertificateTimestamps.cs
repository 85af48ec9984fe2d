using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.X509;

namespace SecureInstall.Core.Signatures.Sigstore;

/// <summary>One RFC 6962 signed certificate timestamp, as embedded in a Fulcio certificate.</summary>
public sealed class SignedCertificateTimestamp
{
    internal SignedCertificateTimestamp(byte[] logId, long timestampMs, byte[] extensions, byte hashAlgorithm, byte signatureAlgorithm, byte[] signature)
    {
        LogId = logId;
        TimestampMs = timestampMs;
        Extensions = extensions;
        HashAlgorithm = hashAlgorithm;
        SignatureAlgorithm = signatureAlgorithm;
        Signature = signature;
    }

    public byte[] LogId { get; }
    public long TimestampMs { get; }
    public byte[] Extensions { get; }
    public byte HashAlgorithm { get; }
    public byte SignatureAlgorithm { get; }
    public byte[] Signature { get; }
    public DateTimeOffset Timestamp => DateTimeOffset.FromUnixTimeMilliseconds(TimestampMs);
}

/// <summary>
/// The embedded SCT list of a precertificate-derived certificate, and its verification: each SCT signs the
/// certificate's TBS without the SCT extension, bound to the issuer's key hash (RFC 6962 section 3.2).
/// </summary>
public static class SignedCertificateTimestamps
{
    public const string ExtensionOid = "1.3.6.1.4.1.11129.2.4.2";

    public static IReadOnlyList<SignedCertificateTimestamp> Read(X509Certificate certificate)
    {
        Asn1OctetString? ext = certificate.GetExtensionValue(new DerObjectIdentifier(ExtensionOid));
        if (ext == null) return Array.Empty<SignedCertificateTimestamp>();
        byte[] tls = Asn1OctetString.GetInstance(ext.GetOctets()).GetOctets();
        var list = new List<SignedCertificateTimestamp>();
        int pos = 0;
        int total = U16(tls, ref pos);
        if (total != tls.Length - 2) throw new SigstoreCheckException("the SCT list length does not match its extension");
        while (pos < tls.Length)
        {
            int len = U16(tls, ref pos);
            int end = pos + len;
            if (end > tls.Length) throw new SigstoreCheckException("an SCT runs past the end of its list");
            if (Byte(tls, ref pos) != 0) throw new SigstoreCheckException("an SCT has an unknown version");
            byte[] logId = Take(tls, ref pos, 32);
            long ts = 0;
            for (int i = 0; i < 8; i++) ts = ts << 8 | Byte(tls, ref pos);
            byte[] extensions = Take(tls, ref pos, U16(tls, ref pos));
            byte hash = Byte(tls, ref pos), sigAlg = Byte(tls, ref pos);
            byte[] sig = Take(tls, ref pos, U16(tls, ref pos));
            if (pos != end) throw new SigstoreCheckException("an SCT has trailing bytes");
            list.Add(new SignedCertificateTimestamp(logId, ts, extensions, hash, sigAlg, sig));
        }
        return list;
    }

    /// <summary>What the CT log signed for a precertificate entry.</summary>
    public static byte[] SignedData(SignedCertificateTimestamp sct, byte[] tbsWithoutSct, byte[] issuerKeyHash)
    {
        var data = new List<byte>(tbsWithoutSct.Length + 64) { 0, 0 };   // v1, certificate_timestamp
        for (int i = 7; i >= 0; i--) data.Add((byte)(sct.TimestampMs >> (8 * i)));
        data.Add(0);
        data.Add(1);   // precert_entry
        data.AddRange(issuerKeyHash);
        data.Add((byte)(tbsWithoutSct.Length >> 16));
        data.Add((byte)(tbsWithoutSct.Length >> 8));
        data.Add((byte)tbsWithoutSct.Length);
        data.AddRange(tbsWithoutSct);
        data.Add((byte)(sct.Extensions.Length >> 8));
        data.Add((byte)sct.Extensions.Length);
        data.AddRange(sct.Extensions);
        return data.ToArray();
    }

    /// <summary>The certificate's TBSCertificate, DER, with the SCT list extension removed (the precertificate's TBS).</summary>
    public static byte[] TbsWithoutSctList(X509Certificate certificate)
    {
        var tbs = Asn1Sequence.GetInstance(certificate.GetTbsCertificate());
        var outer = new Asn1EncodableVector();
        foreach (Asn1Encodable field in tbs)
        {
            if (field is Asn1TaggedObject tagged && tagged.TagNo == 3)
            {
                var kept = new Asn1EncodableVector();
                foreach (Asn1Encodable ext in Asn1Sequence.GetInstance(tagged.GetExplicitBaseObject()))
                {
                    if (DerObjectIdentifier.GetInstance(Asn1Sequence.GetInstance(ext)[0]).Id != ExtensionOid) kept.Add(ext);
                }
                outer.Add(new DerTaggedObject(true, 3, new DerSequence(kept)));
            }
            else
            {
                outer.Add(field);
            }
        }
        return new DerSequence(outer).GetEncoded(Asn1Encodable.Der);
    }

    /// <summary>At least one embedded SCT must come from a CT log in the trusted root, inside its validity, and verify.</summary>
    public static void Verify(X509Certificate leaf, X509Certificate issuer, IReadOnlyList<TransparencyLogKey> ctLogs)
    {
        IReadOnlyList<SignedCertificateTimestamp> scts = Read(leaf);
        if (scts.Count == 0) throw new SigstoreCheckException("the certificate carries no signed certificate timestamp: it was not logged in certificate transparency");
        byte[] tbs = TbsWithoutSctList(leaf);
        byte[] issuerKeyHash = SigstoreKeys.Sha256(issuer.CertificateStructure.SubjectPublicKeyInfo.GetEncoded(Asn1Encodable.Der));
        string why = "no SCT is from a CT log in the trusted root";
        foreach (SignedCertificateTimestamp sct in scts)
        {
            foreach (TransparencyLogKey log in ctLogs)
            {
                if (!SigstoreKeys.BytesEqual(log.LogId, sct.LogId) || log.Key == null) continue;
                if (!log.ValidFor.Contains(sct.Timestamp))
                {
                    why = $"the SCT time {sct.Timestamp:u} is outside the validity of CT log {log.BaseUrl}";
                    continue;
                }
                if (sct.HashAlgorithm != 4) { why = "an SCT uses a hash other than SHA-256"; continue; }
                if (SigstoreKeys.Verify(log.Key, SignedData(sct, tbs, issuerKeyHash), sct.Signature)) return;
                why = $"the SCT from CT log {log.BaseUrl} does not verify";
            }
        }
        throw new SigstoreCheckException(why);
    }

    private static int U16(byte[] b, ref int pos)
    {
        if (pos + 2 > b.Length) throw new SigstoreCheckException("the SCT list is truncated");
        int v = b[pos] << 8 | b[pos + 1];
        pos += 2;
        return v;
    }

    private static byte Byte(byte[] b, ref int pos)
    {
        if (pos >= b.Length) throw new SigstoreCheckException("the SCT list is truncated");
        return b[pos++];
    }

    private static byte[] Take(byte[] b, ref int pos, int n)
    {
        if (pos + n > b.Length) throw new SigstoreCheckException("the SCT list is truncated");
        var r = new byte[n];
        Buffer.BlockCopy(b, pos, r, 0, n);
        pos += n;
        return r;
    }
}
