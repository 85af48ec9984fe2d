using System;
using System.Collections.Generic;
using System.CommandLine;
using System.IO;
using SecureInstall.Core;
using SecureInstall.Core.Signatures;
using SecureInstall.Core.Signatures.Sigstore;

namespace SecureInstall.Cli;

/// <summary>
/// `secureinstall verify-bundle`: a Sigstore bundle checked offline, in the sigstore-conformance client protocol:
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
        OptionRules.Require(command, given =>
            {
                bool keyless = given(identity) || given(identityRegex) || given(issuer);
                return keyless != given(key) && (!keyless || (given(issuer) && given(identity) != given(identityRegex)));
            },
            "give either --key, or --certificate-identity (or --certificate-identity-regexp) with --certificate-oidc-issuer.");
        OptionRules.SetAction(command, (parse, cancel) =>
        {
            string? id = parse.GetValue(identity), idRegex = parse.GetValue(identityRegex), iss = parse.GetValue(issuer), keyFile = parse.GetValue(key);
            string target = parse.GetValue(artifact)!;
            try
            {
                SigstorePolicy policy = keyFile != null ? SigstorePolicy.ForKeyFile(keyFile)
                    : id != null ? SigstorePolicy.ForIdentity(id, iss!) : SigstorePolicy.ForIdentityRegex(idRegex!, iss!);
                string? rootFile = parse.GetValue(trustedRoot);
                TrustedRoot root = rootFile != null ? TrustedRoot.Load(rootFile) : TrustedRoot.PublicGood();
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
