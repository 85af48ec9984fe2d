using System.Text.Json;
using Org.BouncyCastle.Asn1;
using SecureInstall.Core.Checksums;

namespace SecureInstall.Core.Signatures.Sigstore;

/// <summary>
/// What a transparency-log entry says was logged, compared with what the bundle claims: the same digest (or DSSE
/// payload), the same signature and the same certificate or key. Without this check a proof for any entry would do.
/// Kinds: hashedrekord 0.0.1 and 0.0.2 (Rekor v2; SHA-256, SHA-384 or SHA-512), dsse 0.0.1 and 0.0.2, intoto 0.0.2.
/// </summary>
public static class TransparencyLogBody
{
    /// <summary>
    /// The digest a bundle's signature was made over: SHA-256 of the PAE encoding for DSSE; for a message signature the
    /// algorithm its hashedrekord entry logged (the log signed it; P-384 and P-521 keys log SHA-384 and SHA-512), else the
    /// one its messageDigest names, else SHA-256. Only the choice is read here: <see cref="Verify"/> checks the entry.
    /// </summary>
    public static ChecksumAlgorithm SignedDigestAlgorithm(SigstoreBundle bundle)
    {
        if (bundle == null) throw new ArgumentNullException(nameof(bundle));
        if (bundle.Envelope != null) return ChecksumAlgorithm.SHA256;
        foreach (TransparencyLogEntry entry in bundle.TransparencyLogEntries)
        {
            if (LoggedDigestAlgorithm(entry) is ChecksumAlgorithm logged) return logged;
        }
        return SigstoreArtifact.FromSigstoreName(bundle.MessageDigestAlgorithm) ?? ChecksumAlgorithm.SHA256;
    }

    private static ChecksumAlgorithm? LoggedDigestAlgorithm(TransparencyLogEntry entry)
    {
        try
        {
            using JsonDocument doc = JsonDocument.Parse(entry.CanonicalizedBody);
            if (SigstoreJson.String(doc.RootElement, "kind") != "hashedrekord" || SigstoreJson.Child(doc.RootElement, "spec") is not JsonElement spec) return null;
            JsonElement? data = SigstoreJson.Child(spec, "data") is JsonElement d1 ? SigstoreJson.Child(d1, "hash")
                : SigstoreJson.Child(spec, "hashedRekordV002") is JsonElement v2 ? SigstoreJson.Child(v2, "data") : null;
            return data is JsonElement hash ? SigstoreArtifact.FromSigstoreName(SigstoreJson.String(hash, "algorithm")) : null;
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <param name="signedAlgorithm">The algorithm of <paramref name="signedDigest"/> (<see cref="SignedDigestAlgorithm"/>).</param>
    /// <param name="signedDigest">The digest of what was signed: the artifact, or for DSSE the PAE encoding.</param>
    /// <param name="verifierDer">The leaf certificate DER, or the public key's SubjectPublicKeyInfo DER.</param>
    public static void Verify(TransparencyLogEntry entry, SigstoreBundle bundle, ChecksumAlgorithm signedAlgorithm, byte[] signedDigest, byte[] verifierDer, bool verifierIsCertificate)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(entry.CanonicalizedBody);
        }
        catch (JsonException ex)
        {
            throw new SigstoreCheckException("the log entry body is not JSON", inner: ex);
        }
        using (doc)
        {
            try
            {
                Check(doc.RootElement, entry, bundle, signedAlgorithm, signedDigest, verifierDer, verifierIsCertificate);
            }
            catch (Exception ex) when (ex is FormatException or InvalidOperationException or System.Collections.Generic.KeyNotFoundException)
            {
                throw new SigstoreCheckException("the log entry body is malformed: " + ex.Message, inner: ex);
            }
        }
    }

    private static void Check(JsonElement body, TransparencyLogEntry entry, SigstoreBundle bundle, ChecksumAlgorithm signedAlgorithm, byte[] signedDigest, byte[] verifierDer, bool isCert)
    {
        string kind = SigstoreJson.String(body, "kind") ?? "";
        string version = SigstoreJson.String(body, "apiVersion") ?? "";
        if (kind != entry.Kind || version != entry.Version)
            throw new SigstoreCheckException($"the log entry body is {kind}/{version} but the bundle says {entry.Kind}/{entry.Version}");
        JsonElement spec = SigstoreJson.Required(body, "spec", "body");
        bool dsse = bundle.Envelope != null;
        switch ($"{kind}/{version}")
        {
            case "hashedrekord/0.0.1":
                if (dsse) throw new SigstoreCheckException("a DSSE bundle cannot be logged as hashedrekord 0.0.1");
                JsonElement hash = SigstoreJson.Required(SigstoreJson.Required(spec, "data", "spec"), "hash", "data");
                if (!string.Equals(SigstoreJson.String(hash, "algorithm"), SigstoreArtifact.AlgorithmName(signedAlgorithm), StringComparison.Ordinal)
                    || !Hex.DigestEquals(SigstoreJson.String(hash, "value") ?? "", Hex.Encode(signedDigest)))
                    throw new SigstoreCheckException("the logged digest is not the artifact's: the log entry is for another artifact");
                JsonElement sig1 = SigstoreJson.Required(spec, "signature", "spec");
                SameSignature(SigstoreJson.Bytes(sig1, "content"), bundle.Signature);
                SamePemVerifier(SigstoreJson.Bytes(SigstoreJson.Required(sig1, "publicKey", "signature"), "content"), verifierDer, isCert);
                break;
            case "hashedrekord/0.0.2":
                JsonElement v2 = SigstoreJson.Required(spec, "hashedRekordV002", "spec");
                JsonElement data = SigstoreJson.Required(v2, "data", "hashedRekordV002");
                if (SigstoreJson.String(data, "algorithm") != SigstoreArtifact.ProtobufName(signedAlgorithm) || !SigstoreKeys.BytesEqual(SigstoreJson.Bytes(data, "digest"), signedDigest))
                    throw new SigstoreCheckException(dsse ? "the logged digest is not that of this DSSE envelope" : "the logged digest is not the artifact's: the log entry is for another artifact");
                JsonElement sig2 = SigstoreJson.Required(v2, "signature", "hashedRekordV002");
                SameSignature(SigstoreJson.Bytes(sig2, "content"), bundle.Signature);
                SameRawVerifier(SigstoreJson.Required(sig2, "verifier", "signature"), verifierDer, isCert);
                break;
            case "dsse/0.0.1":
                if (!dsse) throw new SigstoreCheckException("a message-signature bundle cannot be logged as dsse");
                SamePayloadHash(SigstoreJson.Required(spec, "payloadHash", "spec"), bundle.Envelope!.Payload);
                JsonElement[] sigs = Signatures(spec);
                SameSignature(SigstoreJson.Bytes(sigs[0], "signature"), bundle.Signature);
                SamePemVerifier(SigstoreJson.Bytes(sigs[0], "verifier"), verifierDer, isCert);
                break;
            case "dsse/0.0.2":
                if (!dsse) throw new SigstoreCheckException("a message-signature bundle cannot be logged as dsse");
                JsonElement d2 = SigstoreJson.Required(spec, "dsseV002", "spec");
                JsonElement ph = SigstoreJson.Required(d2, "payloadHash", "dsseV002");
                if (SigstoreJson.String(ph, "algorithm") != "SHA2_256" || !SigstoreKeys.BytesEqual(SigstoreJson.Bytes(ph, "digest"), SigstoreKeys.Sha256(bundle.Envelope!.Payload)))
                    throw new SigstoreCheckException("the logged payload hash is not that of this DSSE envelope");
                JsonElement[] sigs2 = Signatures(d2);
                SameSignature(SigstoreJson.Bytes(sigs2[0], "content"), bundle.Signature);
                SameRawVerifier(SigstoreJson.Required(sigs2[0], "verifier", "signature"), verifierDer, isCert);
                break;
            case "intoto/0.0.2":
                if (!dsse) throw new SigstoreCheckException("a message-signature bundle cannot be logged as intoto");
                JsonElement content = SigstoreJson.Required(spec, "content", "spec");
                SamePayloadHash(SigstoreJson.Required(content, "payloadHash", "content"), bundle.Envelope!.Payload);
                JsonElement[] sigs3 = Signatures(SigstoreJson.Required(content, "envelope", "content"));
                // intoto 0.0.2 stores the envelope's base64 fields base64-encoded once more.
                SameSignature(Unwrap(SigstoreJson.Bytes(sigs3[0], "sig")), bundle.Signature);
                SamePemVerifier(SigstoreJson.Bytes(sigs3[0], "publicKey"), verifierDer, isCert);
                break;
            default:
                throw new SigstoreCheckException($"log entries of kind {kind}/{version} are not supported");
        }
    }

    private static JsonElement[] Signatures(JsonElement holder)
    {
        JsonElement array = SigstoreJson.Required(holder, "signatures", "spec");
        var list = new System.Collections.Generic.List<JsonElement>();
        foreach (JsonElement e in array.EnumerateArray()) list.Add(e);
        if (list.Count != 1) throw new SigstoreCheckException($"the log entry has {list.Count} signatures; the bundle has one");
        return list.ToArray();
    }

    private static void SamePayloadHash(JsonElement payloadHash, byte[] payload)
    {
        if (!string.Equals(SigstoreJson.String(payloadHash, "algorithm"), "sha256", StringComparison.Ordinal)
            || !Hex.DigestEquals(SigstoreJson.String(payloadHash, "value") ?? "", Hex.Encode(SigstoreKeys.Sha256(payload))))
            throw new SigstoreCheckException("the logged payload hash is not that of this DSSE envelope");
    }

    private static void SameSignature(byte[]? logged, byte[] signature)
    {
        if (!SigstoreKeys.BytesEqual(logged, signature)) throw new SigstoreCheckException("the logged signature is not the bundle's signature");
    }

    private static byte[]? Unwrap(byte[]? doubleEncoded)
    {
        if (doubleEncoded == null) return null;
        try
        {
            return Convert.FromBase64String(Encoding.ASCII.GetString(doubleEncoded));
        }
        catch (FormatException)
        {
            return doubleEncoded;
        }
    }

    private static void SamePemVerifier(byte[]? pemBytes, byte[] verifierDer, bool isCert)
    {
        string pem = pemBytes == null ? "" : Encoding.UTF8.GetString(pemBytes);
        byte[]? der = SigstoreKeys.PemBlock(pem, isCert ? "CERTIFICATE" : "PUBLIC KEY");
        if (!SigstoreKeys.BytesEqual(der, verifierDer))
            throw new SigstoreCheckException(isCert ? "the logged certificate is not the bundle's certificate" : "the logged public key is not the trusted key");
    }

    private static void SameRawVerifier(JsonElement verifier, byte[] verifierDer, bool isCert)
    {
        byte[]? logged = isCert
            ? SigstoreJson.Child(verifier, "x509Certificate") is JsonElement c ? SigstoreJson.Bytes(c, "rawBytes") : null
            : SigstoreJson.Child(verifier, "publicKey") is JsonElement k ? SigstoreJson.Bytes(k, "rawBytes") : null;
        if (!SigstoreKeys.BytesEqual(logged, verifierDer))
            throw new SigstoreCheckException(isCert ? "the logged certificate is not the bundle's certificate" : "the logged public key is not the trusted key");
    }
}
