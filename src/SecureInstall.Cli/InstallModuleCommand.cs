using System.CommandLine;
using SecureInstall.Core;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.Install;
using SecureInstall.Core.Manifests;
using SecureInstall.Core.Modules;

namespace SecureInstall.Cli;

/// <summary>`secureinstall install-module`: Install-PinnedModule for bash. Prints each module installed or found verified.</summary>
public static class InstallModuleCommand
{
    public static Command Create()
    {
        var manifest = new Option<string>("--manifest", "-m") { Description = "The manifest (YAML) with a modules: section; secureinstall.lock.json beside it is the lock.", Required = true };
        var names = new Argument<string[]>("MODULE") { Description = "Modules to install (default: every module the manifest pins); their pinned dependencies come along.", Arity = ArgumentArity.ZeroOrMore };
        var modulePath = new Option<string?>("--module-path") { Description = "A module folder instead of the scope's (PowerShell 7's: ~/.local/share/powershell/Modules, Documents\\PowerShell\\Modules)." };
        var scope = ModuleOptions.Scope();
        var tokenEnv = ModuleOptions.FeedTokenEnvironment();
        var force = new Option<bool>("--force") { Description = "Reinstall even when the installed tree verifies against the lock." };
        var source = new Option<string?>("--source") { Description = "A bundle folder save-module (Save-PinnedModule) wrote: the packages are read from it, each still held to its pin." };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print only errors." };
        var registries = new RegistryPullOptions("each .nupkg is", "the modules' feeds");
        var command = new Command("install-module", "Install the PowerShell modules a manifest pins: each .nupkg held to its sha512, its .nuspec and .psd1 checked, its dependencies pinned, then the lock. Exit 0 installed, 1 a verification failed, 2 bad input.")
        {
            names, manifest, modulePath, scope, tokenEnv, force, source, quiet,
        };
        registries.AddTo(command);
        OptionRules.SetAction(command, (parse, cancel) =>
        {
            bool silent = parse.GetValue(quiet);
            string manifestPath = parse.GetValue(manifest)!;
            try
            {
                // The registries are checked before the manifest is read, as Install-PinnedModule does.
                VerifiedDownloaderOptions downloaderOptions = registries.Read(parse, silent);
                PinnedManifest pinned = new ManifestReader().ReadFile(manifestPath);
                IReadOnlyList<PinnedModule> modules = ModuleInstaller.Select(pinned, parse.GetValue(names));
                var options = new ModuleInstallerOptions
                {
                    ModulePath = ModuleOptions.ModulePath(parse.GetValue(modulePath), parse.GetValue(scope)),
                    LockRoot = ToolInstallerOptions.DefaultRoot(parse.GetValue(scope)),
                    Force = parse.GetValue(force),
                    Source = parse.GetValue(source) is { } bundle ? Path.GetFullPath(bundle) : null,
                    FeedToken = ModuleOptions.FeedToken(parse.GetValue(tokenEnv)),
                };
                using var downloader = new VerifiedDownloader(downloaderOptions);
                var installer = new ModuleInstaller(options, downloader);
                IReadOnlyList<ModuleInstallResult> results = installer.InstallAsync(pinned, modules, InstallLock.PathBeside(manifestPath),
                    e => { if (!silent || e.IsWarning) Console.Error.WriteLine("  " + UriText.RedactText(e.Message)); }, cancel).GetAwaiter().GetResult();
                if (!silent)
                {
                    foreach (ModuleInstallResult r in results)
                    {
                        Console.Out.WriteLine(r.Status == ModuleInstallStatus.AlreadyInstalled
                            ? $"{r.Name} {r.Version}: already installed, verified ({r.TreeDigest})"
                            : $"{r.Name} {r.Version}: installed to {r.Path}; sha512 {r.Sha512} verified{(r.IsDependency ? " (a dependency)" : "")}");
                    }
                }
                return ExitCodes.Verified;
            }
            catch (Exception ex) when (ex is SecureInstallException or IOException or UnauthorizedAccessException)
            {
                return ExitCodes.Report(ex);
            }
        });
        return command;
    }
}
