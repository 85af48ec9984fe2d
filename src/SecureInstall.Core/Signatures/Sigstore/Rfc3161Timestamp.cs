using Org.BouncyCastle.Cms;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tsp;
using Org.BouncyCastle.X509;

namespace SecureInstall.Core.Signatures.Sigstore;

/// <summary>
/// An RFC 3161 timestamp over a bundle's signature, verified against the timestamp authorities of the trusted root
/// (certificates embedded in the token are never trusted by themselves).
/// </summary>
public static class Rfc3161Timestamp
{
    /// <summary>Returns the verified generation time, or throws <see cref="SigstoreCheckException"/>.</summary>
    public static DateTimeOffset Verify(byte[] encoded, byte[] signature, IReadOnlyList<CertificateAuthority> authorities)
    {
        TimeStampToken token = Read(encoded);
        TimeStampTokenInfo info = token.TimeStampInfo;
        var genTime = new DateTimeOffset(DateTime.SpecifyKind(info.GenTime, DateTimeKind.Utc));

        // The timestamp must be over this signature: a valid timestamp for other bytes proves nothing here.
        byte[] imprint;
        try
        {
            imprint = DigestUtilities.CalculateDigest(info.MessageImprintAlgOid, signature);
        }
        catch (SecurityUtilityException ex)
        {
            throw new SigstoreCheckException($"the timestamp uses an unknown digest ({info.MessageImprintAlgOid})", inner: ex);
        }
        if (!SigstoreKeys.BytesEqual(imprint, info.GetMessageImprintDigest()))
            throw new SigstoreCheckException("the RFC 3161 timestamp is not over this bundle's signature");

        string why = "no timestamp authority in the trusted root signed the timestamp";
        foreach (CertificateAuthority tsa in authorities)
        {
            X509Certificate signer = tsa.Chain[0];
            try
            {
                // Checks the ESS signing-certificate binding, the timestamping EKU, the signer's validity at genTime and the signature.
                token.Validate(signer);
            }
            catch (Exception ex) when (ex is TspException or TspValidationException or CmsException or ArgumentException or InvalidOperationException)
            {
                continue;
            }
            if (!tsa.ValidFor.Contains(genTime))
            {
                why = $"the timestamp time {genTime:u} is outside the validity of timestamp authority {tsa.Uri} ({tsa.ValidFor})";
                continue;
            }
            var rest = new List<X509Certificate>();
            for (int i = 1; i < tsa.Chain.Count; i++) rest.Add(tsa.Chain[i]);
            string? failure = rest.Count == 0
                ? (FulcioCertificate.IsSelfSigned(signer) ? null : "the timestamp authority's chain has no root")
                : FulcioCertificate.ChainFailure(signer, rest, new[] { genTime });
            if (failure == null) return genTime;
            why = failure;
        }
        throw new SigstoreCheckException(why);
    }

    private static TimeStampToken Read(byte[] encoded)
    {
        try
        {
            // Bundles carry the whole TimeStampResp (status + token); accept a bare token too.
            try
            {
                var response = new TimeStampResponse(encoded);
                return response.TimeStampToken ?? throw new SigstoreCheckException($"the timestamp response carries no token (status {response.Status})");
            }
            catch (Exception ex) when (ex is TspException or ArgumentException or InvalidCastException or IOException)
            {
                return new TimeStampToken(new CmsSignedData(encoded));
            }
        }
        catch (Exception ex) when (ex is TspException or TspValidationException or CmsException or ArgumentException or InvalidCastException or IOException)
        {
            throw new SigstoreCheckException("an RFC 3161 timestamp cannot be read", inner: ex);
        }
    }
}
