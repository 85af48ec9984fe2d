using System;
using System.CommandLine;
using System.Linq;
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
        var command = new Command("verify-installed", "Re-hash installed tools against the lock and name every changed, added or removed file. Exit 0 all verified, 1 tampered or missing, 2 bad input.")
        {
            names, manifest,
        };
        command.SetAction(parse =>
        {
            InstallLock lockFile;
            try { lockFile = InstallLock.Load(InstallLock.PathBeside(parse.GetValue(manifest)!)); }
            catch (SecureInstallException ex) { return ExitCodes.Report(ex); }
            string[] wanted = parse.GetValue(names) ?? Array.Empty<string>();
            var entries = lockFile.Entries.Where(e => wanted.Length == 0 || wanted.Contains(e.Tool, StringComparer.OrdinalIgnoreCase)).ToList();
            if (entries.Count == 0)
            {
                Console.Error.WriteLine("secureinstall: NotInstalled: the lock records no such install.");
                return ExitCodes.VerificationFailed;
            }
            int worst = ExitCodes.Verified;
            foreach (LockEntry entry in entries)
            {
                TreeDiff diff = ToolInstaller.Verify(entry);
                if (diff.IsEmpty)
                {
                    Console.Out.WriteLine($"{entry.Tool} {entry.Version} ({entry.Platform}): OK {entry.TreeDigest}");
                }
                else
                {
                    Console.Out.WriteLine($"{entry.Tool} {entry.Version} ({entry.Platform}): TAMPERED {diff}");
                    worst = ExitCodes.VerificationFailed;
                }
            }
            return worst;
        });
        return command;
    }
}
