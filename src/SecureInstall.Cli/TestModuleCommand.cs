using System.CommandLine;
using SecureInstall.Core;
using SecureInstall.Core.Install;
using SecureInstall.Core.Modules;

namespace SecureInstall.Cli;

/// <summary>`secureinstall test-module`: Test-PinnedModule for bash. Re-hashes installed modules against the lock and names copies that shadow them on PSModulePath.</summary>
public static class TestModuleCommand
{
    public static Command Create()
    {
        var manifest = new Option<string>("--manifest", "-m") { Description = "The manifest; secureinstall.lock.json beside it records the installed modules.", Required = true };
        var names = new Argument<string[]>("MODULE") { Description = "Modules to check (default: every module the lock records).", Arity = ArgumentArity.ZeroOrMore };
        var modulePath = new Option<string?>("--module-path") { Description = "The module folder they were installed into, as for install-module." };
        var scope = ModuleOptions.Scope();
        var command = new Command("test-module", "Re-hash installed pinned modules against the lock (each changed, added or removed file) and name any copy that would load first from PSModulePath. Exit 0 all verified, 1 tampered, missing or shadowed, 2 bad input.")
        {
            names, manifest, modulePath, scope,
        };
        OptionRules.SetAction(command, (parse, cancel) =>
        {
            // Only the lock matters here, as for Test-PinnedModule: a tampered manifest must not stop the check.
            string lockPath = InstallLock.PathBeside(parse.GetValue(manifest)!);
            InstallLock lockFile;
            try { lockFile = InstallLock.Load(lockPath); }
            catch (SecureInstallException ex) { return ExitCodes.Report(ex); }
            var notRecorded = new List<ModuleException>();
            IReadOnlyList<ModuleLockEntry> entries = InstalledModuleVerifier.Select(lockFile, lockPath, parse.GetValue(names) ?? Array.Empty<string>(), notRecorded);
            int worst = ExitCodes.Verified;
            // A module not recorded, or recorded and not installed, fails the check (1) as verify-installed's do, not bad input.
            foreach (ModuleException missing in notRecorded) worst = Math.Max(worst, Math.Min(ExitCodes.Report(missing), ExitCodes.VerificationFailed));
            string folder = ModuleOptions.ModulePath(parse.GetValue(modulePath), parse.GetValue(scope));
            string[] searched = ModulePaths.Searched();
            IReadOnlyDictionary<string, Core.Signatures.Authenticode.AuthenticodeRequirement> signers = ModuleSignatures.RequirementsForRecheck(parse.GetValue(manifest)!, Console.Error.WriteLine);
            foreach (ModuleLockEntry entry in entries)
            {
                InstalledModuleStatus status;
                try { status = InstalledModuleVerifier.Verify(folder, entry, searched, null, signers.TryGetValue(entry.Name, out var signer) ? signer : null, cancel); }
                catch (Exception ex) when (ex is SecureInstallException or IOException or UnauthorizedAccessException)
                {
                    worst = Math.Max(worst, ExitCodes.Report(ex));
                    continue;
                }
                IReadOnlyList<ModuleException> failures = InstalledModuleVerifier.Failures(status, "'secureinstall install-module'", "'secureinstall install-module --force'");
                Console.Out.WriteLine($"{entry.Name} {entry.Version}: {(status.Status == InstalledState.Verified ? "OK " + entry.TreeDigest : status.Status.ToString().ToUpperInvariant() + " " + status.Diff)}" +
                    (status.ShadowedBy.Count > 0 ? $" (SHADOWED by {string.Join("; ", status.ShadowedBy)})" : string.Empty) +
                    (status.SignatureVerified == true ? $" (signed: {status.Signature})" : status.SignatureVerified == false ? " (SIGNATURE FAILED)" : string.Empty));
                foreach (ModuleException failure in failures) worst = Math.Max(worst, Math.Min(ExitCodes.Report(failure), ExitCodes.VerificationFailed));
            }
            return worst;
        });
        return command;
    }
}
