using System.CommandLine;
using SecureInstall.Core;
using SecureInstall.Core.Install;

namespace SecureInstall.Cli;

/// <summary>`secureinstall verify-installed`: Test-PinnedTool for bash. Re-hashes installed trees against the lock.</summary>
public static class VerifyInstalledCommand
{
    public static Command Create()
    {
        var manifest = new Option<string>("--manifest", "-m") { Description = "The manifest; secureinstall.lock.json beside it records the installs.", Required = true };
        var names = new Argument<string[]>("TOOL") { Description = "Tools to check (default: every tool the lock records).", Arity = ArgumentArity.ZeroOrMore };
        var scope = ScopeOption.Create("The install root to check, as for install (all-users also checks that only administrators can change it):");
        var command = new Command("verify-installed", "Re-hash installed tools against the lock and name every changed, added or removed entry (content, kind, mode) and shim. Exit 0 all verified, 1 tampered, missing or a lock path that disagrees, 2 bad input.")
        {
            names, manifest, scope,
        };
        OptionRules.SetAction(command, (parse, cancel) =>
        {
            InstallLock lockFile;
            try { lockFile = InstallLock.Load(InstallLock.PathBeside(parse.GetValue(manifest)!)); }
            catch (SecureInstallException ex) { return ExitCodes.Report(ex); }
            string[] wanted = parse.GetValue(names) ?? Array.Empty<string>();
            var entries = lockFile.Entries.Where(e => wanted.Length == 0 || wanted.Contains(e.Tool, StringComparer.OrdinalIgnoreCase)).ToList();
            if (entries.Count == 0)
            {
                Console.Error.WriteLine($"secureinstall: {ErrorIds.NotInstalled}: the lock records no such install.");
                return ExitCodes.VerificationFailed;
            }
            int worst = ExitCodes.Verified;
            string root = ToolInstallerOptions.DefaultRoot(parse.GetValue(scope));
            if (parse.GetValue(scope) == InstallScope.AllUsers && MachineRoot.Check(root) is { } untrusted) worst = Math.Max(worst, ExitCodes.Report(untrusted));
            foreach (LockEntry entry in entries)
            {
                InstalledToolStatus status;
                try { status = InstalledToolVerifier.Verify(root, entry, cancel); }
                catch (Exception ex) when (ex is SecureInstallException or System.IO.IOException or UnauthorizedAccessException)
                {
                    worst = Math.Max(worst, ExitCodes.Report(ex));
                    continue;
                }
                if (status.RecordedPath != null)
                {
                    // Reported, never obeyed: only <root>/<tool>/<version> was checked.
                    ExitCodes.Report(new LockPathMismatchException(entry.Tool, entry.Version, status.RecordedPath, status.Path!, "Only the derived path was checked. If it was installed for all users, check with --scope AllUsers; else reinstall with 'secureinstall install', or restore the lock."));
                    worst = Math.Max(worst, ExitCodes.VerificationFailed);
                }
                var diff = new TreeTamperedException(status).Diff;
                if (status.Status == InstalledState.Verified)
                {
                    Console.Out.WriteLine($"{entry.Tool} {entry.Version} ({entry.Platform}): OK {entry.TreeDigest}");
                }
                else if (!diff.IsEmpty)
                {
                    Console.Out.WriteLine($"{entry.Tool} {entry.Version} ({entry.Platform}): {(status.Status == InstalledState.Missing ? "MISSING" : "TAMPERED")} {diff}");
                    worst = Math.Max(worst, ExitCodes.VerificationFailed);
                }
                else
                {
                    Console.Out.WriteLine($"{entry.Tool} {entry.Version} ({entry.Platform}): LOCK PATH MISMATCH (the tree at {status.Path} verifies)");
                }
            }
            return worst;
        });
        return command;
    }
}
