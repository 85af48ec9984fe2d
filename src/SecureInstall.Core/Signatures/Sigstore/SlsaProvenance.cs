using System.Text.Json;
using Org.BouncyCastle.X509;
using SecureInstall.Core.Checksums;

namespace SecureInstall.Core.Signatures.Sigstore;

/// <summary>
/// slsa-github-generator's provenance (the <c>*.intoto.jsonl</c> release asset): bare DSSE envelopes, one a line, whose
/// transparency-log proof is not beside them but in Rekor. <see cref="Verify"/> pairs an envelope with the log's answer
/// for its entry and hands the pair to <see cref="SigstoreVerifier"/> as one bundle, so every check a bundle gets (Fulcio
/// chain to the trusted root, SCT, signed entry timestamp and inclusion proof with checkpoint, the logged body being this
/// envelope, signature over the DSSE PAE, the in-toto subject being this artifact) applies; on top, the signer must be
/// one of slsa-github-generator's trusted builder workflows at a release tag, run for the source repository named.
/// Both the provenance file and the log's answer are hostile input: nothing in them is believed until verified.
/// </summary>
public static class SlsaProvenance
{
    /// <summary>The public-good Rekor, where slsa-github-generator logs its provenance.</summary>
    public const string DefaultRekor = "https://rekor.sigstore.dev";

    /// <summary>slsa-github-generator's SLSA 3 builder and generator workflows, at a release tag (what slsa-verifier trusts).</summary>
    public const string TrustedBuilderIdentityRegex =
        @"https://github\.com/slsa-framework/slsa-github-generator/\.github/workflows/" +
        @"(generator_generic_slsa3|generator_container_slsa3|builder_go_slsa3|builder_nodejs_slsa3|builder_docker-based_slsa3|" +
        @"builder_maven_slsa3|builder_gradle_slsa3|delegator_generic_slsa3|delegator_lowperms-generic_slsa3)\.yml" +
        @"@refs/tags/v[0-9]+\.[0-9]+\.[0-9]+(-rc\.[0-9]+)?";

    /// <summary>Predicate types of SLSA provenance (v0.2 from the generic generator, v1 from newer builders).</summary>
    public const string SlsaProvenancePrefix = "https://slsa.dev/provenance/";

    /// <summary>A provenance file or a Rekor answer larger than this is refused unread.</summary>
    public const long MaximumBytes = SigstoreBundle.MaximumBytes;

    /// <summary>
    /// The policy for provenance of <paramref name="sourceUri"/> ("github.com/OWNER/REPO", with or without https://):
    /// signed through GitHub Actions by a trusted builder (<paramref name="builderIdentityRegex"/>, slsa-github-generator's
    /// when null) for that source repository.
    /// </summary>
    /// <exception cref="ArgumentException">the source URI is not github.com/OWNER/REPO.</exception>
    public static SigstorePolicy Policy(string sourceUri, string? builderIdentityRegex = null)
    {
        string repository = SourceRepository(sourceUri);
        var rules = new GitHubAttestationPolicy { Repository = repository, AnySlsaProvenance = true };
        rules.Validate();
        return SigstorePolicy.ForIdentityRegex(builderIdentityRegex ?? TrustedBuilderIdentityRegex, GitHubAttestationPolicy.GitHubActionsIssuer).WithAttestation(rules); // ArgumentException: a bad regex
    }

    /// <summary>"github.com/OWNER/REPO" or "https://github.com/OWNER/REPO" → "OWNER/REPO".</summary>
    public static string SourceRepository(string sourceUri)
    {
        string s = (sourceUri ?? "").Trim();
        if (s.StartsWith("https://", StringComparison.OrdinalIgnoreCase)) s = s.Substring("https://".Length);
        string[] parts = s.TrimEnd('/').Split('/');
        if (parts.Length != 3 || !string.Equals(parts[0], "github.com", StringComparison.OrdinalIgnoreCase)
            || parts.Skip(1).Any(p => p.Length == 0 || p == "." || p == ".." || p.Any(c => !(char.IsLetterOrDigit(c) || c is '-' or '_' or '.'))))
            throw new ArgumentException($"source_uri '{sourceUri}' is not github.com/OWNER/REPO (slsa-github-generator builds on GitHub only)", nameof(sourceUri));
        return parts[1] + "/" + parts[2];
    }

    /// <summary>One envelope of a provenance file, with the certificate it may carry (PEM) and the line it came from.</summary>
    public sealed class Envelope
    {
        internal Envelope(DsseEnvelope dsse, X509Certificate? certificate, string source)
        {
            Dsse = dsse;
            Certificate = certificate;
            Source = source;
        }

        public DsseEnvelope Dsse { get; }
        internal X509Certificate? Certificate { get; }
        public string Source { get; }
    }

    /// <summary>Reads a provenance file: DSSE envelopes, one a line (JSON Lines).</summary>
    /// <exception cref="SignatureFormatException">a line is not a DSSE envelope with exactly one signature, or the file holds none.</exception>
    public static IReadOnlyList<Envelope> ParseEnvelopes(byte[] bytes, string source)
    {
        if (bytes == null) throw new ArgumentNullException(nameof(bytes));
        if (bytes.Length > MaximumBytes) throw new SignatureFormatException(source, $"is larger than any provenance file ({MaximumBytes / (1024 * 1024)} MiB).");
        var list = SigstoreJson.NonBlankLines(bytes).Select(l => ParseEnvelope(l.Line, $"{source}:{l.Number}")).ToList();
        if (list.Count == 0) throw new SignatureFormatException(source, "not SLSA provenance: the file holds no DSSE envelope.");
        return list;
    }

    private static Envelope ParseEnvelope(byte[] json, string where)
    {
        try
        {
            using JsonDocument doc = JsonDocument.Parse(json);
            JsonElement root = doc.RootElement;
            string type = SigstoreJson.String(root, "payloadType") ?? throw new FormatException("'payloadType' is missing");
            byte[] payload = SigstoreJson.Bytes(root, "payload") ?? throw new FormatException("'payload' is missing");
            JsonElement sigs = SigstoreJson.Required(root, "signatures", "envelope");
            if (sigs.ValueKind != JsonValueKind.Array || sigs.GetArrayLength() != 1)
                throw new FormatException($"the envelope has {(sigs.ValueKind == JsonValueKind.Array ? sigs.GetArrayLength() : 0)} signatures; provenance carries exactly one");
            JsonElement sig = sigs[0];
            byte[] signature = SigstoreJson.Bytes(sig, "sig") ?? throw new FormatException("the signature has no 'sig'");
            X509Certificate? cert = null;
            if (SigstoreJson.String(sig, "cert") is string pem && pem.Length > 0)
                cert = SigstoreKeys.Certificate(SigstoreKeys.PemBlock(pem, "CERTIFICATE") ?? throw new FormatException("'cert' is not a PEM certificate"), "the envelope's certificate");
            return new Envelope(new DsseEnvelope(type, payload, new[] { signature }), cert, where);
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException or ArgumentException)
        {
            throw new SignatureFormatException(where, "not a DSSE envelope: " + ex.Message, ex);
        }
    }

    /// <summary>The envelopes whose in-toto statement names the artifact among its subjects (a provenance file covers several).</summary>
    public static IReadOnlyList<Envelope> ForArtifact(IReadOnlyList<Envelope> envelopes, SigstoreArtifact artifact) =>
        envelopes.Where(e => Names(e, artifact)).ToList();

    private static bool Names(Envelope envelope, SigstoreArtifact artifact)
    {
        try
        {
            GitHubAttestationPolicy.CheckStatement(envelope.Dsse, artifact, null);
            return true;
        }
        catch (SigstoreCheckException)
        {
            return false;
        }
    }

    /// <summary>Rekor's search index: <c>POST /api/v1/index/retrieve</c> with <see cref="IndexQuery"/>.</summary>
    public static Uri IndexUri(Uri rekor) => new(WithSlash(rekor), "api/v1/index/retrieve");

    /// <summary>The index query for entries about an artifact: its SHA-256 (Rekor indexes intoto entries by their subjects).</summary>
    public static byte[] IndexQuery(SigstoreArtifact artifact) =>
        Encoding.UTF8.GetBytes("{\"hash\":\"sha256:" + Hex.Encode(artifact.Sha256) + "\"}");

    /// <summary>One entry: <c>GET /api/v1/log/entries/{uuid}</c>.</summary>
    public static Uri EntryUri(string uuid, Uri rekor) => new(WithSlash(rekor), "api/v1/log/entries/" + uuid);

    private static Uri WithSlash(Uri rekor) => rekor.AbsoluteUri.EndsWith("/", StringComparison.Ordinal) ? rekor : new Uri(rekor.AbsoluteUri + "/");

    /// <summary>The index's answer: a JSON array of entry UUIDs (64 hex, or 80 with the tree id). Anything else is refused.</summary>
    public static IReadOnlyList<string> ParseIndexAnswer(byte[] json, string source)
    {
        try
        {
            using JsonDocument doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Array) throw new FormatException("the answer is not a JSON array of entry UUIDs");
            var list = new List<string>();
            foreach (JsonElement e in doc.RootElement.EnumerateArray())
            {
                if (list.Count >= MaximumEntries) break;
                string uuid = e.ValueKind == JsonValueKind.String ? e.GetString()! : throw new FormatException("an entry UUID is not a string");
                // Only hex goes into the entry's URL: the answer is hostile and must not steer the next request.
                if ((uuid.Length != 64 && uuid.Length != 80) || !Hex.IsHex(uuid)) throw new FormatException($"'{uuid}' is not a Rekor entry UUID (64 or 80 hex digits)");
                list.Add(uuid.ToLowerInvariant());
            }
            return list;
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
        {
            throw new SignatureFormatException(source, "not a Rekor index answer: " + ex.Message, ex);
        }
    }

    /// <summary>At most this many of the log's entries for one artifact are fetched and tried.</summary>
    public const int MaximumEntries = 16;

    /// <summary>
    /// Rekor's answer for entries (<c>{"UUID": {body, integratedTime, logID, logIndex, verification: {signedEntryTimestamp,
    /// inclusionProof}}}</c>, or an array of such objects) as transparency-log entries. Nothing is believed yet.
    /// </summary>
    public static IReadOnlyList<TransparencyLogEntry> ParseRekorEntries(byte[] json, string source)
    {
        try
        {
            using JsonDocument doc = JsonDocument.Parse(json);
            var list = new List<TransparencyLogEntry>();
            IEnumerable<JsonElement> objects = doc.RootElement.ValueKind == JsonValueKind.Array ? doc.RootElement.EnumerateArray() : new[] { doc.RootElement };
            foreach (JsonElement o in objects)
            {
                if (o.ValueKind != JsonValueKind.Object) throw new FormatException("an entry is not a JSON object");
                foreach (JsonProperty p in o.EnumerateObject()) list.Add(ReadRekorEntry(p.Value));
            }
            if (list.Count == 0) throw new FormatException("the answer holds no entry");
            return list;
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException or ArgumentException)
        {
            throw new SignatureFormatException(source, "not a Rekor entry answer: " + ex.Message, ex);
        }
    }

    private static TransparencyLogEntry ReadRekorEntry(JsonElement e)
    {
        byte[] body = SigstoreJson.Bytes(e, "body") ?? throw new FormatException("an entry has no 'body'");
        long logIndex = SigstoreJson.Int64(e, "logIndex") ?? throw new FormatException("an entry has no 'logIndex'");
        long integrated = SigstoreJson.Int64(e, "integratedTime") ?? throw new FormatException("an entry has no 'integratedTime'");
        if (logIndex < 0 || integrated <= 0) throw new FormatException("an entry has a negative index or no integrated time");
        byte[] logId = HexBytes(SigstoreJson.String(e, "logID"), "logID");
        string kind, version;
        using (JsonDocument b = JsonDocument.Parse(body))
        {
            kind = SigstoreJson.String(b.RootElement, "kind") ?? throw new FormatException("the entry body has no 'kind'");
            version = SigstoreJson.String(b.RootElement, "apiVersion") ?? throw new FormatException("the entry body has no 'apiVersion'");
        }
        JsonElement verification = SigstoreJson.Required(e, "verification", "entry");
        byte[]? set = SigstoreJson.Bytes(verification, "signedEntryTimestamp");
        InclusionProof? proof = null;
        if (SigstoreJson.Child(verification, "inclusionProof") is JsonElement p)
        {
            long index = SigstoreJson.Int64(p, "logIndex") ?? throw new FormatException("inclusionProof.logIndex is missing");
            long size = SigstoreJson.Int64(p, "treeSize") ?? throw new FormatException("inclusionProof.treeSize is missing");
            if (index < 0 || size <= 0) throw new FormatException("inclusionProof has a negative index or an empty tree");
            byte[] rootHash = HexBytes(SigstoreJson.String(p, "rootHash"), "inclusionProof.rootHash");
            var hashes = SigstoreJson.Child(p, "hashes") is JsonElement h && h.ValueKind == JsonValueKind.Array
                ? h.EnumerateArray().Select(x => HexBytes(x.ValueKind == JsonValueKind.String ? x.GetString() : null, "inclusionProof.hashes")).ToList()
                : new List<byte[]>();
            proof = new InclusionProof(index, rootHash, size, hashes, SigstoreJson.String(p, "checkpoint"));
        }
        return new TransparencyLogEntry(logIndex, logId, kind, version, integrated, set, proof, body);
    }

    private static byte[] HexBytes(string? hex, string what) =>
        (hex != null && hex.Length > 0 ? Hex.TryDecode(hex) : null) ?? throw new FormatException($"'{what}' is not hex");

    /// <summary>
    /// Pairs each envelope that names the artifact with each of the log's entries into a Sigstore bundle (v0.2 when the
    /// entry has an inclusion proof with a checkpoint, else v0.1), as JSON Lines: what <see cref="SigstoreRequirement"/>
    /// verifies and the lock keeps, so a later check needs no network. Nothing is believed here: the verifier decides.
    /// </summary>
    /// <exception cref="SignatureInvalidException">no envelope names the artifact, or no entry carries a signing certificate.</exception>
    public static byte[] AssembleBundles(IReadOnlyList<Envelope> envelopes, IReadOnlyList<TransparencyLogEntry> entries, SigstoreArtifact artifact, string provenanceSource)
    {
        if (envelopes == null) throw new ArgumentNullException(nameof(envelopes));
        if (entries == null) throw new ArgumentNullException(nameof(entries));
        if (artifact == null) throw new ArgumentNullException(nameof(artifact));
        IReadOnlyList<Envelope> mine = ForArtifact(envelopes, artifact);
        if (mine.Count == 0)
            throw new SignatureInvalidException(new SignatureResult(SignatureScheme.Sigstore, false, artifact.Display, provenanceSource),
                $"no envelope of the provenance names this artifact ({artifact.DescribeDigests()}) among its subjects");
        var lines = new StringBuilder();
        foreach (Envelope envelope in mine)
        {
            foreach (TransparencyLogEntry entry in entries)
            {
                X509Certificate? cert = envelope.Certificate ?? LoggedCertificate(entry);
                if (cert != null) lines.Append(BundleJson(cert, entry, envelope.Dsse)).Append('\n');
            }
        }
        if (lines.Length == 0)
            throw new SignatureInvalidException(new SignatureResult(SignatureScheme.Sigstore, false, artifact.Display, provenanceSource),
                $"the transparency log gave no entry with a signing certificate for this provenance ({entries.Count} entries)");
        return Encoding.UTF8.GetBytes(lines.ToString());
    }

    private static string BundleJson(X509Certificate cert, TransparencyLogEntry entry, DsseEnvelope envelope)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            InclusionProof? proof = entry.InclusionProof;
            w.WriteStartObject();
            w.WriteString("mediaType", $"application/vnd.dev.sigstore.bundle+json;version=0.{(proof?.Checkpoint != null ? 2 : 1)}");
            w.WriteStartObject("verificationMaterial");
            w.WriteStartObject("x509CertificateChain");
            w.WriteStartArray("certificates");
            w.WriteStartObject();
            w.WriteBase64String("rawBytes", cert.GetEncoded());
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteStartArray("tlogEntries");
            w.WriteStartObject();
            w.WriteString("logIndex", entry.LogIndex.ToString(CultureInfo.InvariantCulture));
            w.WriteStartObject("logId");
            w.WriteBase64String("keyId", entry.LogId);
            w.WriteEndObject();
            w.WriteStartObject("kindVersion");
            w.WriteString("kind", entry.Kind);
            w.WriteString("version", entry.Version);
            w.WriteEndObject();
            if (entry.IntegratedTime is long t) w.WriteString("integratedTime", t.ToString(CultureInfo.InvariantCulture));
            if (entry.SignedEntryTimestamp != null)
            {
                w.WriteStartObject("inclusionPromise");
                w.WriteBase64String("signedEntryTimestamp", entry.SignedEntryTimestamp);
                w.WriteEndObject();
            }
            if (proof != null)
            {
                w.WriteStartObject("inclusionProof");
                w.WriteString("logIndex", proof.LogIndex.ToString(CultureInfo.InvariantCulture));
                w.WriteBase64String("rootHash", proof.RootHash);
                w.WriteString("treeSize", proof.TreeSize.ToString(CultureInfo.InvariantCulture));
                w.WriteStartArray("hashes");
                foreach (byte[] h in proof.Hashes) w.WriteBase64StringValue(h);
                w.WriteEndArray();
                if (proof.Checkpoint != null)
                {
                    w.WriteStartObject("checkpoint");
                    w.WriteString("envelope", proof.Checkpoint);
                    w.WriteEndObject();
                }
                w.WriteEndObject();
            }
            w.WriteBase64String("canonicalizedBody", entry.CanonicalizedBody);
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteStartObject("dsseEnvelope");
            w.WriteBase64String("payload", envelope.Payload);
            w.WriteString("payloadType", envelope.PayloadType);
            w.WriteStartArray("signatures");
            w.WriteStartObject();
            w.WriteBase64String("sig", envelope.Signatures[0]);
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>
    /// At install: fetches the provenance, asks the Rekor at <paramref name="rekor"/> for the entries about the artifact's
    /// SHA-256 (index search, then each entry, at most <see cref="MaximumEntries"/>), all through the verified downloader,
    /// and returns <see cref="AssembleBundles"/>' JSON Lines. Every answer is capped and read as hostile.
    /// </summary>
    public static async Task<byte[]> FetchAsync(Downloads.VerifiedDownloader downloader, Uri provenanceUri, Uri rekor, SigstoreArtifact artifact, CancellationToken cancellationToken)
    {
        if (downloader == null) throw new ArgumentNullException(nameof(downloader));
        string source = provenanceUri.AbsoluteUri;
        IReadOnlyList<Envelope> envelopes = ParseEnvelopes(
            await downloader.FetchSmallAsync(provenanceUri, MaximumBytes, "SLSA provenance", cancellationToken: cancellationToken).ConfigureAwait(false), source);
        if (ForArtifact(envelopes, artifact).Count == 0) return AssembleBundles(envelopes, Array.Empty<TransparencyLogEntry>(), artifact, source); // throws: names the artifact
        Uri index = IndexUri(rekor);
        IReadOnlyList<string> uuids = ParseIndexAnswer(
            await downloader.QuerySmallAsync(index, IndexQuery(artifact), MaximumBytes, "Rekor index search", cancellationToken).ConfigureAwait(false), index.AbsoluteUri);
        if (uuids.Count == 0)
            throw new SignatureInvalidException(new SignatureResult(SignatureScheme.Sigstore, false, artifact.Display, source),
                $"the transparency log {rekor.AbsoluteUri} has no entry for this artifact's sha256, so the provenance's signing cannot be checked");
        var entries = new List<TransparencyLogEntry>();
        foreach (string uuid in uuids)
        {
            Uri entryUri = EntryUri(uuid, rekor);
            byte[] answer = await downloader.FetchSmallAsync(entryUri, MaximumBytes, "Rekor entry", cancellationToken: cancellationToken).ConfigureAwait(false);
            entries.AddRange(ParseRekorEntries(answer, entryUri.AbsoluteUri));
        }
        return AssembleBundles(envelopes, entries, artifact, source);
    }

    // The certificate the log recorded for the entry: intoto 0.0.2 (spec.content.envelope.signatures[0].publicKey) or
    // dsse 0.0.1 (spec.signatures[0].verifier), base64 of PEM. It is only a candidate: the chain to the trusted root's
    // Fulcio and TransparencyLogBody's comparison decide.
    private static X509Certificate? LoggedCertificate(TransparencyLogEntry entry)
    {
        try
        {
            using JsonDocument doc = JsonDocument.Parse(entry.CanonicalizedBody);
            if (SigstoreJson.Child(doc.RootElement, "spec") is not JsonElement spec) return null;
            JsonElement? holder = SigstoreJson.Child(spec, "content") is JsonElement c ? SigstoreJson.Child(c, "envelope") : spec;
            if (holder is not JsonElement h || SigstoreJson.Child(h, "signatures") is not JsonElement sigs || sigs.ValueKind != JsonValueKind.Array || sigs.GetArrayLength() != 1) return null;
            byte[]? pem = SigstoreJson.Bytes(sigs[0], "publicKey") ?? SigstoreJson.Bytes(sigs[0], "verifier");
            byte[]? der = pem == null ? null : SigstoreKeys.PemBlock(Encoding.UTF8.GetString(pem), "CERTIFICATE");
            return der == null ? null : SigstoreKeys.Certificate(der, "the logged certificate");
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException or ArgumentException)
        {
            return null;
        }
    }
}
