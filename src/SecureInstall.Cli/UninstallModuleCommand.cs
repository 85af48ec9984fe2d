using System.CommandLine;
using SecureInstall.Core;
using SecureInstall.Core.Install;
using SecureInstall.Core.Modules;

namespace SecureInstall.Cli;

/// <summary>`secureinstall uninstall-module`: Uninstall-PinnedModule for bash. Removes the module versions the lock records, and their lock entries.</summary>
public static class UninstallModuleCommand
{
    public static Command Create()
    {
        var manifest = new Option<string>("--manifest", "-m") { Description = "The manifest; secureinstall.lock.json beside it records the installed modules.", Required = true };
        var names = new Argument<string[]>("MODULE") { Description = "Modules to remove.", Arity = ArgumentArity.OneOrMore };
        var version = new Option<string?>("--version") { Description = "The version to remove (default: every version the lock records)." };
        var modulePath = new Option<string?>("--module-path") { Description = "The module folder they were installed into, as for install-module." };
        var scope = ModuleOptions.Scope();
        var force = new Option<bool>("--force") { Description = "Remove a version folder even when its tree is no longer the one the lock records." };
        var whatIf = new Option<bool>("--what-if") { Description = "Print what would be removed; change nothing." };
        var command = new Command("uninstall-module", "Remove installed pinned module versions (only <module path>/<Name>/<Version> of what the lock records, after checking its tree against the lock) and their lock entries. Exit 0 removed, 1 a tree differs from the lock, 2 bad input.")
        {
            names, manifest, version, modulePath, scope, force, whatIf,
        };
        OptionRules.SetAction(command, (parse, cancel) =>
        {
            string lockPath = InstallLock.PathBeside(parse.GetValue(manifest)!);
            try
            {
                InstallLock lockFile = InstallLock.Load(lockPath);
                var notRecorded = new List<ModuleException>();
                IReadOnlyList<ModuleLockEntry> entries = InstalledModuleVerifier.Select(lockFile, lockPath, parse.GetValue(names) ?? Array.Empty<string>(), notRecorded, parse.GetValue(version));
                int worst = ExitCodes.Verified;
                foreach (ModuleException missing in notRecorded) worst = Math.Max(worst, ExitCodes.Report(missing));
                var options = new ModuleInstallerOptions
                {
                    ModulePath = ModuleOptions.ModulePath(parse.GetValue(modulePath), parse.GetValue(scope)),
                    LockRoot = ToolInstallerOptions.DefaultRoot(parse.GetValue(scope)),
                    Force = parse.GetValue(force),
                };
                if (parse.GetValue(whatIf))
                {
                    foreach (ModuleLockEntry e in entries)
                        Console.Out.WriteLine($"What if: uninstall {e.Name} {e.Version} from {ModulePaths.VersionDirectory(options.ModulePath, e.Name, PackageVersion.TryParse(e.Version)!)}");
                    return worst;
                }
                foreach (ModuleUninstallResult r in ModuleUninstaller.Uninstall(options, entries, lockPath, line => Console.Error.WriteLine("  " + line), cancel))
                    Console.Out.WriteLine(r.Status == InstalledState.Missing ? $"{r.Name} {r.Version}: lock entry removed (not installed at {r.Path})" : $"{r.Name} {r.Version}: removed {r.Path}");
                return worst;
            }
            catch (Exception ex) when (ex is SecureInstallException or IOException or UnauthorizedAccessException)
            {
                return ExitCodes.Report(ex);
            }
        });
        return command;
    }
}
