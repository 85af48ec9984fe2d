using System.CommandLine;
using SecureInstall.Core;
using SecureInstall.Core.Signatures;

namespace SecureInstall.Cli;

/// <summary>
/// `secureinstall verify-signature`: Test-ArtifactSignature for bash. Prints "FILE: OK scheme key … " per file, the
/// verified trusted comment for minisign; exit 0 all verified, 1 a signature failed, 2 bad input.
/// </summary>
public static class VerifySignatureCommand
{
    public static Command Create()
    {
        var files = new Argument<string[]>("FILE") { Description = "Files to check.", Arity = ArgumentArity.OneOrMore };
        var minisignKey = new Option<string?>("--minisign-key", "-P") { Description = "The trusted minisign public key (RWQ… string) or minisign.pub file." };
        var pgpKey = new Option<string?>("--pgp-key", "-k") { Description = "A file with the trusted OpenPGP public key(s), armored or binary." };
        var fingerprint = new Option<string?>("--fingerprint") { Description = "OpenPGP: trust only the key with this primary-key fingerprint (40 hex digits)." };
        var allowExpired = new Option<bool>("--allow-expired-key") { Description = "OpenPGP: accept a signature made while its key was valid from a key that has expired since." };
        var thumbprint = new Option<string[]>("--signer-thumbprint") { Description = "Authenticode: trusted signer certificate SHA-1 thumbprint (PE, CAB, MSI files and PowerShell scripts on every OS).", Arity = ArgumentArity.ZeroOrMore };
        var subject = new Option<string[]>("--signer-subject") { Description = "Authenticode: trusted signer certificate subject, exactly.", Arity = ArgumentArity.ZeroOrMore };
        var trustedRoot = new Option<string[]>("--trusted-root") { Description = "Authenticode: root certificate file(s) (PEM or DER) the signer's chain must end at; default the platform's root store.", Arity = ArgumentArity.ZeroOrMore };
        var signature = new Option<string?>("--signature", "-x") { Description = "The signature file (default: FILE.minisig; FILE.sig/.asc/.gpg; or the file's own clear-signature)." };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print nothing on success; only the exit code tells." };

        var command = new Command("verify-signature", "Check files against a minisign, OpenPGP or Authenticode signature by a key you trust, in process. Exit 0 verified, 1 a signature failed, 2 bad input.")
        {
            files, minisignKey, pgpKey, fingerprint, allowExpired, thumbprint, subject, trustedRoot, signature, quiet,
        };
        // The minisign/OpenPGP pair is the core's rule (SignatureKeySpec); Authenticode's pins are this verb's own.
        OptionRules.Require(command, given => (given(minisignKey) || given(pgpKey)) != (given(thumbprint) || given(subject)),
            "give exactly one trusted key: --minisign-key, --pgp-key, or --signer-thumbprint/--signer-subject.");
        OptionRules.SetAction(command, (parse, cancel) =>
        {
            string[] thumbprints = parse.GetValue(thumbprint) ?? Array.Empty<string>(), subjects = parse.GetValue(subject) ?? Array.Empty<string>();
            bool beQuiet = parse.GetValue(quiet);
            DetachedSignatureVerifier? detached = null;
            AuthenticodeVerifier? windows = null;
            try
            {
                detached = SignatureKeys.Create(SignatureKeys.Spec(parse.GetValue(minisignKey), parse.GetValue(pgpKey), parse.GetValue(fingerprint), parse.GetValue(allowExpired)));
                if (detached == null)
                {
                    windows = AuthenticodeVerifier.FromPins(thumbprints, subjects, parse.GetValue(trustedRoot) ?? Array.Empty<string>(), trustedRoot.Name);
                }
            }
            catch (Exception ex) when (ex is SecureInstallException or IOException or UnauthorizedAccessException)
            {
                return ExitCodes.Report(ex);
            }

            int worst = ExitCodes.Verified;
            foreach (string file in parse.GetValue(files)!)
            {
                try
                {
                    SignatureResult r = detached != null ? detached.VerifyFile(file, parse.GetValue(signature), cancel) : windows!.Verify(file, cancel);
                    if (!beQuiet)
                    {
                        Console.Out.WriteLine($"{file}: OK {r.Scheme} key {r.KeyId}{(r.Fingerprint != null && r.Fingerprint != r.KeyId ? " (" + r.Fingerprint + ")" : "")}{(r.Signer != null ? " " + r.Signer : "")}");
                        if (r.TrustedComment != null) Console.Out.WriteLine($"  trusted comment: {r.TrustedComment}");
                        if (r.Checks != null) Console.Out.WriteLine($"  checks: {r.Checks}");
                    }
                }
                catch (Exception ex) when (ex is SecureInstallException or IOException or UnauthorizedAccessException)
                {
                    if (ex is SignatureVerificationException) Console.Out.WriteLine($"{file}: FAILED");
                    worst = Math.Max(worst, ExitCodes.Report(ex));
                }
            }
            return worst;
        });
        return command;
    }
}
