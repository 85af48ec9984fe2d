using System;
using System.Collections.Generic;
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
        parts.Add("predicate " + PredicateType);
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
    /// The in-toto statement must name this artifact's SHA-256 among its subjects; with <paramref name="predicateType"/>
    /// it must also carry that predicate. Returns the statement's predicate type.
    /// </summary>
    internal static string CheckStatement(DsseEnvelope envelope, byte[] artifactSha256, string? predicateType)
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
            string want = Hex.Encode(artifactSha256);
            if (SigstoreJson.Child(root, "subject") is JsonElement subjects)
            {
                foreach (JsonElement s in subjects.EnumerateArray())
                {
                    if (SigstoreJson.Child(s, "digest") is JsonElement d && SigstoreJson.String(d, "sha256") is string hex && Hex.DigestEquals(hex, want)) return predicate;
                }
            }
            throw new SigstoreCheckException($"the statement's subjects do not include this artifact (sha256:{want})");
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
        {
            throw new SigstoreCheckException("the in-toto statement cannot be read", inner: ex);
        }
    }
}
