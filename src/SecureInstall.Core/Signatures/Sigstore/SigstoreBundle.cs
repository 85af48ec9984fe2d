using System.Text.Json;
using Org.BouncyCastle.X509;

namespace SecureInstall.Core.Signatures.Sigstore;

/// <summary>An RFC 6962 inclusion proof as a bundle carries it, with the log's signed checkpoint (a signed note).</summary>
public sealed class InclusionProof
{
    internal InclusionProof(long logIndex, byte[] rootHash, long treeSize, IReadOnlyList<byte[]> hashes, string? checkpoint)
    {
        LogIndex = logIndex;
        RootHash = rootHash;
        TreeSize = treeSize;
        Hashes = hashes;
        Checkpoint = checkpoint;
    }

    /// <summary>The index in the log shard the proof is for (not always the entry's global index).</summary>
    public long LogIndex { get; }
    public byte[] RootHash { get; }
    public long TreeSize { get; }
    public IReadOnlyList<byte[]> Hashes { get; }
    public string? Checkpoint { get; }
}

/// <summary>One transparency-log (Rekor v1 or v2) entry from a bundle.</summary>
public sealed class TransparencyLogEntry
{
    internal TransparencyLogEntry(long logIndex, byte[] logId, string kind, string version, long? integratedTime,
        byte[]? signedEntryTimestamp, InclusionProof? inclusionProof, byte[] canonicalizedBody)
    {
        LogIndex = logIndex;
        LogId = logId;
        Kind = kind;
        Version = version;
        IntegratedTime = integratedTime;
        SignedEntryTimestamp = signedEntryTimestamp;
        InclusionProof = inclusionProof;
        CanonicalizedBody = canonicalizedBody;
    }

    public long LogIndex { get; }
    public byte[] LogId { get; }
    public string Kind { get; }
    public string Version { get; }
    /// <summary>Rekor v1 only: the log's own clock when it accepted the entry (unix seconds). Rekor v2 has none.</summary>
    public long? IntegratedTime { get; }
    public byte[]? SignedEntryTimestamp { get; }
    public InclusionProof? InclusionProof { get; }
    public byte[] CanonicalizedBody { get; }
}

/// <summary>A DSSE envelope: the payload and the signatures over its PAE encoding.</summary>
public sealed class DsseEnvelope
{
    internal DsseEnvelope(string payloadType, byte[] payload, IReadOnlyList<byte[]> signatures)
    {
        PayloadType = payloadType;
        Payload = payload;
        Signatures = signatures;
    }

    public string PayloadType { get; }
    public byte[] Payload { get; }
    public IReadOnlyList<byte[]> Signatures { get; }

    /// <summary>DSSE's pre-authentication encoding: what the signature really covers.</summary>
    public byte[] PreAuthenticationEncoding()
    {
        byte[] type = System.Text.Encoding.UTF8.GetBytes(PayloadType);
        byte[] head = System.Text.Encoding.UTF8.GetBytes($"DSSEv1 {type.Length} {PayloadType} {Payload.Length} ");
        var pae = new byte[head.Length + Payload.Length];
        Buffer.BlockCopy(head, 0, pae, 0, head.Length);
        Buffer.BlockCopy(Payload, 0, pae, head.Length, Payload.Length);
        return pae;
    }
}

/// <summary>
/// A Sigstore bundle (media types v0.1, v0.2, v0.3): the verification material (a Fulcio certificate or a key hint),
/// the transparency-log entries and RFC 3161 timestamps, and either a message signature or a DSSE envelope.
/// Parsing checks shape only; <see cref="SigstoreVerifier"/> checks meaning.
/// </summary>
public sealed class SigstoreBundle
{
    private SigstoreBundle(string source, string mediaType, int minorVersion)
    {
        Source = source;
        MediaType = mediaType;
        MinorVersion = minorVersion;
    }

    public string Source { get; }
    public string MediaType { get; }
    /// <summary>1, 2 or 3 for bundle v0.1, v0.2, v0.3.</summary>
    public int MinorVersion { get; }
    /// <summary>The certificates the bundle carries, leaf first; empty for a key-signed bundle.</summary>
    internal IReadOnlyList<X509Certificate> Certificates { get; private set; } = Array.Empty<X509Certificate>();
    public string? PublicKeyHint { get; private set; }
    public IReadOnlyList<TransparencyLogEntry> TransparencyLogEntries { get; private set; } = Array.Empty<TransparencyLogEntry>();
    public IReadOnlyList<byte[]> Rfc3161Timestamps { get; private set; } = Array.Empty<byte[]>();
    public byte[]? MessageSignature { get; private set; }
    /// <summary>The digest the bundle says was signed (a hint: the artifact's own digest is what counts).</summary>
    public byte[]? MessageDigest { get; private set; }
    public string? MessageDigestAlgorithm { get; private set; }
    public DsseEnvelope? Envelope { get; private set; }

    /// <summary>The signature bytes: the message signature or the envelope's single signature.</summary>
    public byte[] Signature => MessageSignature ?? Envelope!.Signatures[0];

    /// <summary>No Sigstore bundle, JSON Lines file of them or npm attestations document comes near this; anything larger is refused unread.</summary>
    public const long MaximumBytes = 4L * 1024 * 1024;

    /// <summary>Reads a downloaded or given bundle file of at most <see cref="MaximumBytes"/> (a regular file, never a FIFO or device).</summary>
    /// <exception cref="SignatureFormatException">it is larger.</exception>
    public static byte[] ReadFile(string path, string source)
    {
        try
        {
            return IO.RegularFile.ReadAll(path, MaximumBytes, allowHardLinks: true, followLinks: true);
        }
        catch (IO.FileTooLargeException)
        {
            throw new SignatureFormatException(source, $"is larger than any Sigstore bundle ({MaximumBytes / (1024 * 1024)} MiB); refusing to read it.");
        }
    }

    public static SigstoreBundle Load(string path, System.Threading.CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Parse(ReadFile(path, path), path);
    }

    /// <summary>
    /// Reads a bundle file, a JSON Lines file of bundles (what <c>gh attestation download</c> saves: one bundle per
    /// line, often several predicate types for one digest), or the npm registry's attestations document. Each bundle of
    /// a JSON Lines file is named by its line, each of an npm document by its position.
    /// </summary>
    public static IReadOnlyList<SigstoreBundle> LoadAll(string path, System.Threading.CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ParseAll(ReadFile(path, path), path);
    }

    public static IReadOnlyList<SigstoreBundle> ParseAll(byte[] json, string source)
    {
        if (json == null) throw new ArgumentNullException(nameof(json));
        JsonDocument? whole = TryParseDocument(json);
        if (whole != null)
        {
            using (whole)
            {
                if (NpmAttestations(whole.RootElement, source) is IReadOnlyList<SigstoreBundle> npm) return npm;
                return new[] { Read(whole, source) };
            }
        }
        var bundles = SigstoreJson.NonBlankLines(json).Select(l => Parse(l.Line, $"{source}:{l.Number}")).ToList();
        if (bundles.Count == 0) throw new SignatureFormatException(source, "not a usable Sigstore bundle: the file is empty.");
        return bundles;
    }

    // The npm registry's attestations document (what `npm view PKG@VER dist.attestations.url` points at):
    // {"attestations":[{"predicateType":…,"bundle":{…}}, …]}, the npm publish attestation and the SLSA provenance.
    // Each bundle is named by its 1-based position, as a JSON Lines bundle is by its line.
    private static IReadOnlyList<SigstoreBundle>? NpmAttestations(JsonElement root, string source)
    {
        if (root.ValueKind != JsonValueKind.Object || root.TryGetProperty("mediaType", out _)
            || !root.TryGetProperty("attestations", out JsonElement list) || list.ValueKind != JsonValueKind.Array)
            return null;
        var bundles = new List<SigstoreBundle>();
        int n = 0;
        foreach (JsonElement attestation in list.EnumerateArray())
        {
            string where = $"{source}:{++n}";
            if (attestation.ValueKind != JsonValueKind.Object || !attestation.TryGetProperty("bundle", out JsonElement bundle))
                throw new SignatureFormatException(where, "not a usable Sigstore bundle: the npm attestation has no 'bundle'.");
            try
            {
                bundles.Add(Read(bundle, where));
            }
            catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException or ArgumentException or IOException)
            {
                throw new SignatureFormatException(where, "not a usable Sigstore bundle: " + ex.Message, ex);
            }
        }
        if (bundles.Count == 0) throw new SignatureFormatException(source, "not a usable Sigstore bundle: the npm attestations document lists no attestation.");
        return bundles;
    }

    private static JsonDocument? TryParseDocument(byte[] json)
    {
        try
        {
            return JsonDocument.Parse(json);
        }
        catch (JsonException)
        {
            return null; // JSON Lines, or not JSON at all: reading it line by line says which line is wrong
        }
    }

    public static SigstoreBundle Parse(byte[] json, string source)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            throw new SignatureFormatException(source, "not a usable Sigstore bundle: " + ex.Message, ex);
        }
        using (doc) return Read(doc, source);
    }

    private static SigstoreBundle Read(JsonDocument doc, string source)
    {
        try
        {
            return Read(doc.RootElement, source);
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException or ArgumentException or IOException)
        {
            throw new SignatureFormatException(source, "not a usable Sigstore bundle: " + ex.Message, ex);
        }
    }

    private static SigstoreBundle Read(JsonElement root, string source)
    {
        string mediaType = SigstoreJson.String(root, "mediaType") ?? throw new FormatException("'mediaType' is missing");
        var bundle = new SigstoreBundle(source, mediaType, MinorVersionOf(mediaType));

        JsonElement material = SigstoreJson.Required(root, "verificationMaterial", "bundle");
        var certs = new List<X509Certificate>();
        if (SigstoreJson.Child(material, "x509CertificateChain") is JsonElement chain)
        {
            foreach (JsonElement c in SigstoreJson.Required(chain, "certificates", "x509CertificateChain").EnumerateArray())
                certs.Add(SigstoreKeys.Certificate(SigstoreJson.Bytes(c, "rawBytes") ?? throw new FormatException("a chain certificate has no rawBytes"), "a chain certificate"));
            if (certs.Count == 0) throw new FormatException("x509CertificateChain.certificates is empty");
        }
        else if (SigstoreJson.Child(material, "certificate") is JsonElement leaf)
        {
            if (bundle.MinorVersion < 3) throw new FormatException("'certificate' appears only in bundle v0.3");
            certs.Add(SigstoreKeys.Certificate(SigstoreJson.Bytes(leaf, "rawBytes") ?? throw new FormatException("certificate.rawBytes is missing"), "the certificate"));
        }
        else if (SigstoreJson.Child(material, "publicKey") is JsonElement pk)
        {
            bundle.PublicKeyHint = SigstoreJson.String(pk, "hint") ?? "";
        }
        else
        {
            throw new FormatException("verificationMaterial has no certificate, chain or public key");
        }
        bundle.Certificates = certs;

        var entries = new List<TransparencyLogEntry>();
        if (SigstoreJson.Child(material, "tlogEntries") is JsonElement tlog)
        {
            foreach (JsonElement e in tlog.EnumerateArray()) entries.Add(ReadEntry(e));
        }
        bundle.TransparencyLogEntries = entries;

        var stamps = new List<byte[]>();
        if (SigstoreJson.Child(material, "timestampVerificationData") is JsonElement tvd && SigstoreJson.Child(tvd, "rfc3161Timestamps") is JsonElement ts)
        {
            foreach (JsonElement t in ts.EnumerateArray()) stamps.Add(SigstoreJson.Bytes(t, "signedTimestamp") ?? throw new FormatException("an RFC 3161 timestamp has no signedTimestamp"));
        }
        bundle.Rfc3161Timestamps = stamps;

        if (SigstoreJson.Child(root, "messageSignature") is JsonElement ms)
        {
            bundle.MessageSignature = SigstoreJson.Bytes(ms, "signature") ?? throw new FormatException("messageSignature.signature is missing");
            if (SigstoreJson.Child(ms, "messageDigest") is JsonElement md)
            {
                bundle.MessageDigestAlgorithm = SigstoreJson.String(md, "algorithm");
                bundle.MessageDigest = SigstoreJson.Bytes(md, "digest");
            }
        }
        else if (SigstoreJson.Child(root, "dsseEnvelope") is JsonElement env)
        {
            string type = SigstoreJson.String(env, "payloadType") ?? throw new FormatException("dsseEnvelope.payloadType is missing");
            byte[] payload = SigstoreJson.Bytes(env, "payload") ?? throw new FormatException("dsseEnvelope.payload is missing");
            var sigs = SigstoreJson.Required(env, "signatures", "dsseEnvelope").EnumerateArray()
                .Select(s => SigstoreJson.Bytes(s, "sig") ?? throw new FormatException("a DSSE signature has no 'sig'")).ToList();
            // A bundle vouches through one signer; several signatures would need a policy for which ones count.
            if (sigs.Count != 1) throw new FormatException($"the DSSE envelope has {sigs.Count} signatures; a Sigstore bundle carries exactly one");
            bundle.Envelope = new DsseEnvelope(type, payload, sigs);
        }
        else
        {
            throw new FormatException("the bundle has neither messageSignature nor dsseEnvelope");
        }
        return bundle;
    }

    private static int MinorVersionOf(string mediaType) => mediaType switch
    {
        "application/vnd.dev.sigstore.bundle+json;version=0.1" => 1,
        "application/vnd.dev.sigstore.bundle+json;version=0.2" => 2,
        "application/vnd.dev.sigstore.bundle+json;version=0.3" => 3,
        "application/vnd.dev.sigstore.bundle.v0.3+json" => 3,
        _ => throw new FormatException($"media type '{mediaType}' is not a supported Sigstore bundle (v0.1, v0.2, v0.3)"),
    };

    private static TransparencyLogEntry ReadEntry(JsonElement e)
    {
        long logIndex = SigstoreJson.Int64(e, "logIndex") ?? throw new FormatException("a tlog entry has no logIndex");
        if (logIndex < 0) throw new FormatException($"a tlog entry has a negative logIndex ({logIndex})");
        byte[] logId = SigstoreJson.Bytes(SigstoreJson.Required(e, "logId", "tlog entry"), "keyId") ?? throw new FormatException("a tlog entry has no logId.keyId");
        JsonElement kv = SigstoreJson.Required(e, "kindVersion", "tlog entry");
        string kind = SigstoreJson.String(kv, "kind") ?? throw new FormatException("kindVersion.kind is missing");
        string version = SigstoreJson.String(kv, "version") ?? throw new FormatException("kindVersion.version is missing");
        long? integrated = SigstoreJson.Int64(e, "integratedTime");
        if (integrated is < 0) throw new FormatException("integratedTime is negative");
        if (integrated == 0) integrated = null;   // protobuf JSON writes an unset int64 as 0 or omits it
        byte[]? set = SigstoreJson.Child(e, "inclusionPromise") is JsonElement ip ? SigstoreJson.Bytes(ip, "signedEntryTimestamp") : null;
        InclusionProof? proof = null;
        if (SigstoreJson.Child(e, "inclusionProof") is JsonElement p)
        {
            long index = SigstoreJson.Int64(p, "logIndex") ?? 0;
            long size = SigstoreJson.Int64(p, "treeSize") ?? throw new FormatException("inclusionProof.treeSize is missing");
            if (index < 0 || size <= 0) throw new FormatException("inclusionProof has a negative index or an empty tree");
            byte[] rootHash = SigstoreJson.Bytes(p, "rootHash") ?? throw new FormatException("inclusionProof.rootHash is missing");
            var hashes = SigstoreJson.Child(p, "hashes") is JsonElement h ? h.EnumerateArray().Select(x => SigstoreJson.Base64(x.GetString() ?? "", "inclusionProof.hashes")).ToList() : new List<byte[]>();
            string? checkpoint = SigstoreJson.Child(p, "checkpoint") is JsonElement cp ? SigstoreJson.String(cp, "envelope") : null;
            proof = new InclusionProof(index, rootHash, size, hashes, checkpoint);
        }
        byte[] body = SigstoreJson.Bytes(e, "canonicalizedBody") ?? throw new FormatException("a tlog entry has no canonicalizedBody");
        return new TransparencyLogEntry(logIndex, logId, kind, version, integrated, set, proof, body);
    }
}
