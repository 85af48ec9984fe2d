using System.CommandLine;
using SecureInstall.Core;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.Install;
using SecureInstall.Core.Manifests;

namespace SecureInstall.Cli;

/// <summary>`secureinstall install`: Install-PinnedTool for bash. Prints what was verified per tool and the shims written.</summary>
public static class InstallCommand
{
    public static Command Create()
    {
        var manifest = new Option<string>("--manifest", "-m") { Description = "The manifest (YAML); secureinstall.lock.json beside it is the lock.", Required = true };
        var names = new Argument<string[]>("TOOL") { Description = "Tools to install (default: every tool the manifest pins).", Arity = ArgumentArity.ZeroOrMore };
        var version = new Option<string?>("--version") { Description = "The version to install (default: the tool's default_version)." };
        var platform = new Option<string?>("--platform") { Description = "os-arch to install for (default: this machine)." };
        var scope = ScopeOption.Create("Where to install: all-users is /opt/secureinstall or %ProgramData%\\SecureInstall (SECUREINSTALL_MACHINE_HOME moves it), needs root/Administrator and an admin-only root;");
        var locked = new Option<bool>("--locked") { Description = "CI mode: install only what the lock records; fail if the manifest and the lock disagree." };
        var source = new Option<string?>("--source") { Description = "A bundle folder written by 'save': install from it with no network." };
        var force = new Option<bool>("--force") { Description = "Reinstall even when the installed tree verifies." };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print only errors." };
        var registries = new RegistryPullOptions("pinned artifacts are", "the artifacts' own URLs");

        var command = new Command("install", "Install the tool versions a manifest pins: verified download, safe extraction, shims, lock. Exit 0 installed, 1 a verification or pin failed, 2 bad input.")
        {
            names, manifest, version, platform, scope, locked, source, force, quiet,
        };
        registries.AddTo(command);
        OptionRules.SetAction(command, (parse, cancel) =>
        {
            bool silent = parse.GetValue(quiet);
            string manifestPath = parse.GetValue(manifest)!;
            // The registries are checked before the manifest is read, as Install-PinnedTool does.
            VerifiedDownloaderOptions downloaderOptions;
            try
            {
                downloaderOptions = registries.Read(parse, silent);
            }
            catch (SecureInstallException ex)
            {
                return ExitCodes.Report(ex);
            }
            PinnedManifest pinned;
            try
            {
                pinned = new ManifestReader().ReadFile(manifestPath);
            }
            catch (Exception ex) when (ex is SecureInstallException or IOException or UnauthorizedAccessException)
            {
                return ExitCodes.Report(ex);
            }
            string? platformName = parse.GetValue(platform);
            string platformToUse;
            try
            {
                platformToUse = platformName == null ? Platforms.Current : Platforms.Parse(platformName);
            }
            catch (ArgumentException ex)
            {
                Console.Error.WriteLine($"secureinstall: {ex.Message}");
                return ExitCodes.UsageError;
            }
            var options = new ToolInstallerOptions
            {
                Root = ToolInstallerOptions.DefaultRoot(parse.GetValue(scope)),
                Scope = parse.GetValue(scope),
                Platform = platformToUse,
                Locked = parse.GetValue(locked),
                Source = parse.GetValue(source) is string s ? Path.GetFullPath(s) : null,
                Force = parse.GetValue(force),
            };
            using var downloader = new VerifiedDownloader(downloaderOptions);
            var installer = new ToolInstaller(options, downloader);
            InstallLock lockFile;
            try { lockFile = InstallLock.Load(InstallLock.PathBeside(manifestPath)); }
            catch (SecureInstallException ex) { return ExitCodes.Report(ex); }

            string[] requested = parse.GetValue(names) is { Length: > 0 } given ? given : pinned.Tools.Select(t => t.Name).ToArray();
            int worst = ExitCodes.Verified;
            bool installed = false;
            foreach (string name in requested)
            {
                try
                {
                    InstallPlan plan = installer.Plan(pinned, lockFile, name, parse.GetValue(version));
                    InstallResult result = installer.InstallAsync(plan, InstallLock.PathBeside(manifestPath), null,
                        e => { if (!silent || e.IsWarning) Console.Error.WriteLine("  " + UriText.RedactText(e.Message)); }, cancel).GetAwaiter().GetResult();
                    if (!silent)
                    {
                        Console.Out.WriteLine(result.Status == InstallStatus.AlreadyInstalled
                            ? $"{result.Name} {result.Version}: already installed, verified ({result.TreeDigest})"
                            : $"{result.Name} {result.Version}: installed to {result.Path}; sha256 {result.Sha256} verified by {string.Join(", ", result.VerifiedBy.DefaultIfEmpty("nothing (waived)"))}");
                        foreach (string shim in result.Shims) Console.Out.WriteLine($"  shim: {shim}");
                    }
                    installed = true;
                }
                catch (Exception ex) when (ex is SecureInstallException or IOException or UnauthorizedAccessException)
                {
                    worst = Math.Max(worst, ExitCodes.Report(ex));
                }
            }
            if (options.Scope == InstallScope.AllUsers && !silent && installed) Console.Error.WriteLine("secureinstall: " + MachineRoot.PathAdvice(options.BinDirectory));
            return worst;
        });
        return command;
    }
}
