using System.Management.Automation;
using SecureInstall.Core;
using SecureInstall.Core.Signatures;

namespace SecureInstall.Commands;

/// <summary>
/// Base of Test-ArtifactSignature and Test-SigstoreBundle: checks each file with the verifier its cmdlet set up in
/// BeginProcessing, and writes the result; a failed check writes the error and also the invalid result.
/// </summary>
public abstract class ArtifactSignatureCmdlet : SecureInstallCmdlet
{
    /// <summary>The files of this record, as Path or LiteralPath bound them.</summary>
    protected abstract string[] Files { get; }

    /// <summary>Checks one file; throws <see cref="SignatureVerificationException"/> when the signature does not verify.</summary>
    protected abstract SignatureResult Check(string file);

    protected override void ProcessRecord()
    {
        bool literal = ParameterSetName.StartsWith("Literal", StringComparison.Ordinal);
        foreach (string file in ResolveFiles(Files, literal))
        {
            try
            {
                SignatureResult result = Check(file);
                WriteVerbose(Describe(result));
                WriteObject(result);
            }
            catch (SignatureVerificationException ex)
            {
                // As Test-Checksum does: the error for people and -ErrorAction, the invalid result for scripts.
                WriteError(Errors.From(ex, file));
                WriteObject(ex.Result);
            }
            catch (Exception ex) when (ex is SecureInstallException or IOException or UnauthorizedAccessException)
            {
                WriteError(Errors.From(ex, file));
            }
        }
    }

    private static string Describe(SignatureResult r)
    {
        string text = $"Valid {r.Scheme} signature of '{r.Path}' ({r.SignaturePath}) by {r.Signer ?? "?"}, key {r.KeyId}";
        if (r.Fingerprint != null && r.Fingerprint != r.KeyId) text += $", fingerprint {r.Fingerprint}";
        if (r.SignedAt != null) text += $", signed {r.SignedAt.Value.UtcDateTime:yyyy-MM-dd HH:mm} UTC";
        if (r.OidcIssuer != null) text += $", OIDC issuer {r.OidcIssuer}";
        if (r.LogIndex != null) text += $", transparency log index {r.LogIndex}";
        if (r.PredicateType != null) text += $", predicate {r.PredicateType}";
        if (r.TrustedComment != null) text += $"; trusted comment: {r.TrustedComment}";
        return text + ".";
    }
}
