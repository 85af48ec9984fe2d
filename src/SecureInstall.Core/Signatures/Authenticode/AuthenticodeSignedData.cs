using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Cms;
using Org.BouncyCastle.Cms;
using Org.BouncyCastle.X509;
using SecureInstall.Core.Checksums;

namespace SecureInstall.Core.Signatures.Authenticode;

/// <summary>
/// One Authenticode PKCS#7 SignedData, read with BouncyCastle: its single SignerInfo, the certificates it carries, and
/// the file digest its SpcIndirectDataContent claims. Nested signatures (szOID_NESTED_SIGNATURE in the signer's
/// unsigned attributes) are read as further instances. Nothing here is trusted yet; <see cref="ManagedAuthenticode"/> checks.
/// </summary>
internal sealed class AuthenticodeSignedData
{
    internal const string SignedDataType = "1.2.840.113549.1.7.2";
    internal const string SpcIndirectDataContent = "1.3.6.1.4.1.311.2.1.4";
    internal const string SpcPeImageData = "1.3.6.1.4.1.311.2.1.15";
    internal const string SpcCabData = "1.3.6.1.4.1.311.2.1.25";
    internal const string SpcSipInfo = "1.3.6.1.4.1.311.2.1.30";
    internal const string NestedSignature = "1.3.6.1.4.1.311.2.4.1";
    internal const string Rfc3161CounterSignature = "1.3.6.1.4.1.311.3.3.1";
    internal const string CounterSignature = "1.2.840.113549.1.9.6";

    /// <summary>Signatures nested in signatures nested in … are cut off here (each is checked, so a deep tree is work an attacker chooses).</summary>
    internal const int MaxSignatures = 8;

    private AuthenticodeSignedData(CmsSignedData cms, SignerInformation signer, IReadOnlyList<X509Certificate> certificates,
                                   ChecksumAlgorithm algorithm, byte[] digest, int index)
    {
        Cms = cms;
        Signer = signer;
        Certificates = certificates;
        ImageHashAlgorithm = algorithm;
        ImageDigest = digest;
        Index = index;
    }

    public CmsSignedData Cms { get; }
    public SignerInformation Signer { get; }
    public IReadOnlyList<X509Certificate> Certificates { get; }
    public ChecksumAlgorithm ImageHashAlgorithm { get; }
    public byte[] ImageDigest { get; }

    /// <summary>0 for the primary signature, 1… for nested ones in the order they appear.</summary>
    public int Index { get; }

    /// <summary>The primary signature and every nested one, primary first.</summary>
    /// <exception cref="SignatureFormatException">the blob is not an Authenticode SignedData.</exception>
    /// <param name="dataType">the SpcIndirectDataContent type the file kind is signed with (a PE signature moved into an MSI is refused before any digest is compared).</param>
    /// <param name="kind">the file kind, for the message.</param>
    /// <param name="sipGuid">for SpcSipInfo kinds whose SIP is pinned (PowerShell scripts), the SIP GUID the signature must name; else null.</param>
    public static IReadOnlyList<AuthenticodeSignedData> ReadAll(byte[] der, string path, string dataType, string kind, byte[]? sipGuid = null)
    {
        var all = new List<AuthenticodeSignedData>();
        var pending = new Queue<byte[]>();
        pending.Enqueue(der);
        while (pending.Count > 0)
        {
            if (all.Count == MaxSignatures) throw new SignatureFormatException(path, $"the file carries more than {MaxSignatures} nested Authenticode signatures");
            AuthenticodeSignedData one = Read(pending.Dequeue(), path, all.Count, dataType, kind, sipGuid);
            all.Add(one);
            Org.BouncyCastle.Asn1.Cms.AttributeTable? unsigned = one.Signer.UnsignedAttributes;
            if (unsigned == null) continue;
            foreach (Org.BouncyCastle.Asn1.Cms.Attribute attribute in unsigned.GetAll(new DerObjectIdentifier(NestedSignature)))
            {
                foreach (Asn1Encodable value in attribute.AttrValues) pending.Enqueue(value.GetEncoded(Asn1Encodable.Der));
            }
        }
        return all;
    }

    private static AuthenticodeSignedData Read(byte[] der, string path, int index, string expectedType, string kind, byte[]? sipGuid)
    {
        string which = index == 0 ? "the Authenticode signature" : $"nested Authenticode signature {index}";
        try
        {
            var cms = new CmsSignedData(der);
            // BouncyCastle parses the SignedData whatever the outer ContentInfo calls it; Windows and osslsigncode do not.
            if (cms.ContentInfo.ContentType.Id != SignedDataType)
                throw new SignatureFormatException(path, $"{which} is a PKCS#7 ContentInfo of type {cms.ContentInfo.ContentType.Id}, not SignedData ({SignedDataType})");
            if (cms.SignedContentType?.Id != SpcIndirectDataContent)
                throw new SignatureFormatException(path, $"{which} signs content of type {cms.SignedContentType?.Id ?? "(none)"}, not SpcIndirectDataContent ({SpcIndirectDataContent})");
            var signers = cms.GetSignerInfos().GetSigners();
            if (signers.Count != 1) throw new SignatureFormatException(path, $"{which} has {signers.Count} signers; Authenticode has exactly one");
            SignerInformation signer = signers.First();
            if (signer.SignedAttributes == null) throw new SignatureFormatException(path, $"{which} has no signed attributes (Authenticode signs its content through the messageDigest attribute)");
            var certificates = cms.GetCertificates().EnumerateMatches(null).ToList();

            // SpcIndirectDataContent ::= SEQUENCE { data SpcAttributeTypeAndOptionalValue, messageDigest DigestInfo }
            Asn1Encodable content = SignedData.GetInstance(cms.ContentInfo.Content).EncapContentInfo.Content
                ?? throw new SignatureFormatException(path, $"{which} carries no SpcIndirectDataContent");
            Asn1Sequence indirect = Asn1Sequence.GetInstance(content);
            Asn1Sequence data = Asn1Sequence.GetInstance(indirect[0]);
            string dataType = DerObjectIdentifier.GetInstance(data[0]).Id;
            if (dataType != expectedType)
                throw new SignatureFormatException(path, $"{which} is for content of type {dataType}, not a {kind} ({expectedType})");
            if (sipGuid != null)
            {
                // SpcSipInfo ::= SEQUENCE { INTEGER, OCTET STRING sipGuid, INTEGER × 5 }: the SIP whose digest this is must be the kind's.
                byte[]? sip = data.Count > 1 && Asn1Sequence.GetInstance(data[1]) is { Count: > 1 } info
                    ? Asn1OctetString.GetInstance(info[1]).GetOctets() : null;
                if (sip == null || !sip.SequenceEqual(sipGuid))
                    throw new SignatureFormatException(path, $"{which} is for content of type {dataType}{(sip != null ? $" (SIP {Hex.Encode(sip)})" : "")}, not a {kind} (SIP {Hex.Encode(sipGuid)})");
            }
            Asn1Sequence digestInfo = Asn1Sequence.GetInstance(indirect[1]);
            string oid = DerObjectIdentifier.GetInstance(Asn1Sequence.GetInstance(digestInfo[0])[0]).Id;
            byte[] digest = Asn1OctetString.GetInstance(digestInfo[1]).GetOctets();
            ChecksumAlgorithm algorithm = oid switch
            {
                "1.3.14.3.2.26" => ChecksumAlgorithm.SHA1,
                "2.16.840.1.101.3.4.2.1" => ChecksumAlgorithm.SHA256,
                "2.16.840.1.101.3.4.2.2" => ChecksumAlgorithm.SHA384,
                "2.16.840.1.101.3.4.2.3" => ChecksumAlgorithm.SHA512,
                "1.2.840.113549.2.5" => throw new WeakAlgorithmException(ChecksumAlgorithm.MD5, path),
                _ => throw new SignatureFormatException(path, $"{which} hashes the image with an unknown algorithm ({oid})"),
            };
            if (digest.Length != ChecksumAlgorithms.DigestBytes(algorithm))
                throw new SignatureFormatException(path, $"{which}'s {algorithm} image digest is {digest.Length} bytes");
            return new AuthenticodeSignedData(cms, signer, certificates, algorithm, digest, index);
        }
        catch (Exception ex) when (ex is CmsException or IOException or ArgumentException or InvalidCastException or InvalidOperationException or IndexOutOfRangeException)
        {
            throw new SignatureFormatException(path, $"{which} is not a readable PKCS#7 SignedData ({ex.Message})", ex);
        }
    }
}
