using System.Text.Json;
using SecureInstall.Core.Checksums;

namespace SecureInstall.Core.Signatures.Sigstore;

/// <summary>
/// The checks `gh attestation verify` makes, offline: an in-toto statement about this artifact with the wanted
/// predicate type, signed by a GitHub Actions workflow of the given repository, owner or signer workflow,
/// optionally refusing self-hosted runners (whose machines the repository's owner, not GitHub, controls).
/// </summary>
public sealed class GitHubAttestationPolicy
{
    public const string GitHubActionsIssuer = "https://token.actions.githubusercontent.com";
    public const string SlsaProvenanceV1 = "https://slsa.dev/provenance/v1";
    public const string InTotoPayloadType = "application/vnd.in-toto+json";

    /// <summary>"owner/repo": the source repository the workflow ran in.</summary>
    public string? Repository { get; set; }
    /// <summary>The repository owner (user or organization).</summary>
    public string? Owner { get; set; }
    /// <summary>"owner/repo/.github/workflows/file.yml" (or the full https://github.com/… URL, with or without @ref).</summary>
    public string? SignerWorkflow { get; set; }
    public string PredicateType { get; set; } = SlsaProvenanceV1;
    public bool DenySelfHostedRunners { get; set; }
    /// <summary>SLSA provenance of any version (v0.2 or v1) instead of <see cref="PredicateType"/>: the caller checks the prefix.</summary>
    internal bool AnySlsaProvenance { get; set; }

    internal void Validate()
    {
        if (string.IsNullOrEmpty(Repository) && string.IsNullOrEmpty(Owner) && string.IsNullOrEmpty(SignerWorkflow))
            throw new ArgumentException("an attestation policy needs a repository, an owner or a signer workflow: any GitHub user can attest anything");
        if (Repository != null && Repository.Split('/').Length != 2) throw new ArgumentException($"'{Repository}' is not owner/repo", nameof(Repository));
    }

    public string Describe()
    {
        var parts = new List<string>();
        if (!string.IsNullOrEmpty(Repository)) parts.Add("repository " + Repository);
        if (!string.IsNullOrEmpty(Owner)) parts.Add("owner " + Owner);
        if (!string.IsNullOrEmpty(SignerWorkflow)) parts.Add("signer workflow " + SignerWorkflow);
        parts.Add(AnySlsaProvenance ? "predicate SLSA provenance (any version)" : "predicate " + PredicateType);
        if (DenySelfHostedRunners) parts.Add("GitHub-hosted runners only");
        return string.Join(", ", parts);
    }

    internal void CheckCertificate(FulcioCertificate cert)
    {
        Validate();
        if (!string.IsNullOrEmpty(Repository))
            Same(cert.Extension(FulcioCertificate.SourceRepositoryUri), "https://github.com/" + Repository, "source repository");
        if (!string.IsNullOrEmpty(Owner))
            Same(cert.Extension(FulcioCertificate.SourceRepositoryOwnerUri), "https://github.com/" + Owner, "repository owner");
        if (!string.IsNullOrEmpty(SignerWorkflow))
        {
            string want = SignerWorkflow!.StartsWith("https://", StringComparison.OrdinalIgnoreCase) ? SignerWorkflow : "https://github.com/" + SignerWorkflow;
            string? signer = cert.Extension(FulcioCertificate.BuildSignerUri);
            string? signerNoRef = signer == null ? null : signer.Split('@')[0];
            if (!string.Equals(signer, want, StringComparison.OrdinalIgnoreCase) && !string.Equals(signerNoRef, want, StringComparison.OrdinalIgnoreCase))
                throw new SigstoreCheckException($"the signer workflow is '{signer ?? "(none)"}', not '{want}'", signerNotTrusted: true);
        }
        if (DenySelfHostedRunners)
        {
            string? runner = cert.Extension(FulcioCertificate.RunnerEnvironment);
            if (!string.Equals(runner, "github-hosted", StringComparison.Ordinal))
                throw new SigstoreCheckException($"the attestation was made on a '{runner ?? "unknown"}' runner and self-hosted runners are denied", signerNotTrusted: true);
        }
    }

    private static void Same(string? actual, string expected, string what)
    {
        if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
            throw new SigstoreCheckException($"the {what} is '{actual ?? "(none)"}', not '{expected}'", signerNotTrusted: true);
    }

    /// <summary>
    /// The in-toto statement must name this artifact among its subjects; with <paramref name="predicateType"/> it must
    /// also carry that predicate. Returns the statement's predicate type. A subject's digest is a DigestSet: it matches
    /// when every sha256/sha384/sha512 it lists that the artifact's digest is known by is equal (a file is known by all
    /// three), and at least one is. A subject that agrees on one and disagrees on another contradicts itself and fails
    /// the whole statement. md5 and sha1 never identify an artifact: a subject named only by them cannot match.
    /// </summary>
    internal static string CheckStatement(DsseEnvelope envelope, SigstoreArtifact artifact, string? predicateType)
    {
        if (envelope.PayloadType != InTotoPayloadType) throw new SigstoreCheckException($"the DSSE payload is '{envelope.PayloadType}', not an in-toto statement");
        try
        {
            using JsonDocument doc = JsonDocument.Parse(envelope.Payload);
            JsonElement root = doc.RootElement;
            string type = SigstoreJson.String(root, "_type") ?? "";
            if (!type.StartsWith("https://in-toto.io/Statement/", StringComparison.Ordinal)) throw new SigstoreCheckException($"the payload is not an in-toto statement ('{type}')");
            string predicate = SigstoreJson.String(root, "predicateType") ?? "";
            if (predicateType != null && predicate != predicateType)
                throw new SigstoreCheckException($"the statement's predicate type is '{predicate}', not '{predicateType}'");
            var weakOnly = new List<string>();
            var unmatchable = new List<string>();
            bool matched = false;
            if (SigstoreJson.Child(root, "subject") is JsonElement subjects && subjects.ValueKind == JsonValueKind.Array)
            {
                int index = 0;
                foreach (JsonElement s in subjects.EnumerateArray())
                {
                    string name = SubjectName(s, index++);
                    switch (MatchSubject(s, artifact, name, out string? note))
                    {
                        case SubjectMatch.Matches:
                            matched = true;
                            break;
                        case SubjectMatch.WeakOnly:
                            weakOnly.Add(note!);
                            break;
                        case SubjectMatch.NotComparable:
                            unmatchable.Add(note!);
                            break;
                    }
                }
            }
            if (matched) return predicate;
            string why = $"the statement's subjects do not include this artifact ({artifact.DescribeDigests()})";
            if (weakOnly.Count > 0) why += "; refused as too weak to identify an artifact: " + string.Join("; ", weakOnly);
            if (unmatchable.Count > 0) why += "; " + string.Join("; ", unmatchable);
            throw new SigstoreCheckException(why);
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
        {
            throw new SigstoreCheckException("the in-toto statement cannot be read", inner: ex);
        }
    }

    private enum SubjectMatch { Matches, DoesNotMatch, WeakOnly, NotComparable }

    private static string SubjectName(JsonElement subject, int index) =>
        (subject.ValueKind == JsonValueKind.Object ? SigstoreJson.String(subject, "name") ?? SigstoreJson.String(subject, "uri") : null) is string n && n.Length > 0
            ? $"subject '{n}'" : $"subject {index}";

    private static SubjectMatch MatchSubject(JsonElement subject, SigstoreArtifact artifact, string name, out string? note)
    {
        note = null;
        if (subject.ValueKind != JsonValueKind.Object || SigstoreJson.Child(subject, "digest") is not JsonElement set || set.ValueKind != JsonValueKind.Object)
            return SubjectMatch.DoesNotMatch;
        var listed = new Dictionary<ChecksumAlgorithm, string>();
        var weak = new List<string>();
        foreach (JsonProperty d in set.EnumerateObject())
        {
            if (d.Value.ValueKind != JsonValueKind.String) continue;
            string algorithm = d.Name.ToLowerInvariant();
            ChecksumAlgorithm? supported = SigstoreArtifact.SubjectAlgorithms.Cast<ChecksumAlgorithm?>().FirstOrDefault(a => SigstoreArtifact.AlgorithmName(a!.Value) == algorithm);
            if (supported != null)
            {
                string hex = d.Value.GetString() ?? "";
                // "sha256" and "SHA256" twice with different values: which one the producer meant is anyone's guess.
                if (listed.TryGetValue(supported.Value, out string? earlier) && !Hex.DigestEquals(earlier, hex))
                    throw new SigstoreCheckException($"the statement's {name} lists two different {algorithm} digests");
                listed[supported.Value] = hex;
            }
            else if (algorithm is "sha1" or "md5") weak.Add(algorithm);
            // Other DigestSet names (gitCommit, dirHash, …) say nothing about a file's bytes.
        }
        if (listed.Count == 0)
        {
            if (weak.Count > 0) note = $"{name} names its artifact only by {string.Join(" and ", weak)}";
            return weak.Count > 0 ? SubjectMatch.WeakOnly : SubjectMatch.DoesNotMatch;
        }
        var agree = new List<string>();
        var disagree = new List<string>();
        foreach (KeyValuePair<ChecksumAlgorithm, string> d in listed)
        {
            if (artifact.Digest(d.Key) is not byte[] mine) continue;
            (Hex.DigestEquals(d.Value, Hex.Encode(mine)) ? agree : disagree).Add(SigstoreArtifact.AlgorithmName(d.Key));
        }
        if (agree.Count > 0 && disagree.Count > 0)
            throw new SigstoreCheckException($"the statement's {name} has this artifact's {string.Join(", ", agree)} but not its {string.Join(", ", disagree)}: a subject whose digests disagree matches nothing");
        if (agree.Count > 0) return SubjectMatch.Matches;
        if (disagree.Count == 0)
        {
            note = $"{name} names its artifact by {string.Join(", ", listed.Keys.Select(SigstoreArtifact.AlgorithmName))}, which '{artifact.Display}' does not give; give the file";
            return SubjectMatch.NotComparable;
        }
        return SubjectMatch.DoesNotMatch;
    }
}
