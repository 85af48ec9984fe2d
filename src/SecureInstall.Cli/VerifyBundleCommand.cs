using System.CommandLine;
using SecureInstall.Core;
using SecureInstall.Core.Signatures;
using SecureInstall.Core.Signatures.Sigstore;

namespace SecureInstall.Cli;

/// <summary>
/// `secureinstall verify-bundle`: Test-SigstoreBundle for bash, a Sigstore bundle checked offline, in the sigstore-conformance client protocol:
/// `verify-bundle --bundle F (--certificate-identity I --certificate-oidc-issuer U | --key K) [--trusted-root T] FILE|sha256:HEX|sha512:HEX`.
/// Exit 0 verified, 1 verification failed, 2 bad input.
/// </summary>
public static class VerifyBundleCommand
{
    public static Command Create()
    {
        var artifact = new Argument<string>("FILE") { Description = "The artifact, or sha256:HEX of it (keys other than Ed25519 sign the digest, so the file is not needed); sha384:HEX or sha512:HEX for an in-toto subject named by that digest (npm provenance: sha512)." };
        var bundle = new Option<string>("--bundle") { Description = "The Sigstore bundle (.sigstore.json).", Required = true };
        var identity = new Option<string?>("--certificate-identity") { Description = "Keyless: the exact signer identity (certificate SAN)." };
        var identityRegex = new Option<string?>("--certificate-identity-regexp") { Description = "Keyless: a regular expression the whole signer identity must match." };
        var issuer = new Option<string?>("--certificate-oidc-issuer") { Description = "Keyless: the OIDC issuer that vouched for the identity." };
        var key = new Option<string?>("--key") { Description = "Keyed: the signer's PEM public key file." };
        var trustedRoot = new Option<string?>("--trusted-root") { Description = "The Sigstore trusted_root.json (default: the public-good root shipped with SecureInstall)." };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print nothing on success; only the exit code tells." };

        var command = new Command("verify-bundle", "Check a Sigstore bundle offline against a trusted root. Exit 0 verified, 1 verification failed, 2 bad input.")
        {
            artifact, bundle, identity, identityRegex, issuer, key, trustedRoot, quiet,
        };
        // Which options make one policy is SigstorePolicyOptions.CreatePolicy's rule (the cmdlets' too): a wrong mix is
        // SignatureParametersInvalid, exit 2.
        OptionRules.SetAction(command, (parse, cancel) =>
        {
            var options = new SigstorePolicyOptions
            {
                CertificateIdentity = parse.GetValue(identity), CertificateIdentityRegex = parse.GetValue(identityRegex),
                CertificateOidcIssuer = parse.GetValue(issuer), PublicKeyFile = parse.GetValue(key), TrustedRootFile = parse.GetValue(trustedRoot),
            };
            string target = parse.GetValue(artifact)!;
            try
            {
                SigstorePolicy policy = options.CreatePolicy();
                TrustedRoot root = options.LoadTrustedRoot();
                IReadOnlyList<SigstoreBundle> bundles = SigstoreBundle.LoadAll(parse.GetValue(bundle)!, cancel);
                SigstoreArtifact subject = SigstoreArtifact.TryParseDigest(target, out SigstoreArtifact? digest) ? digest! : SigstoreArtifact.FromFile(target, SigstoreArtifact.NeededBy(bundles), cancel);
                SignatureResult r = new SigstoreVerifier(root, policy).VerifyAny(bundles, subject, cancel);
                if (!parse.GetValue(quiet))
                {
                    Console.Out.WriteLine($"{target}: OK Sigstore {r.Signer}{(r.OidcIssuer != null ? " (" + r.OidcIssuer + ")" : "")}{(r.SignedAt != null ? $", signed {r.SignedAt.Value.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC" : "")}{(r.LogIndex != null ? $", log index {r.LogIndex}" : "")}");
                }
                return ExitCodes.Verified;
            }
            catch (ArgumentException ex)
            {
                Console.Error.WriteLine($"secureinstall: {ErrorIds.SignatureParametersInvalid}: {ex.Message}");
                return ExitCodes.UsageError;
            }
            catch (Exception ex) when (ex is SecureInstallException or IOException or UnauthorizedAccessException)
            {
                return ExitCodes.Report(ex);
            }
        });
        return command;
    }
}
