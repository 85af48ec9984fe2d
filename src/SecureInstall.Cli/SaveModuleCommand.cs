using System.CommandLine;
using SecureInstall.Core;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.Manifests;
using SecureInstall.Core.Modules;

namespace SecureInstall.Cli;

/// <summary>`secureinstall save-module`: Save-PinnedModule for bash. Writes the verified .nupkg files into a bundle install-module --source reads.</summary>
public static class SaveModuleCommand
{
    public static Command Create()
    {
        var manifest = new Option<string>("--manifest", "-m") { Description = "The manifest (YAML) with a modules: section; it and its lock are copied into the bundle.", Required = true };
        var names = new Argument<string[]>("MODULE") { Description = "Modules to save (default: every module the manifest pins); their pinned dependencies come along.", Arity = ArgumentArity.ZeroOrMore };
        var path = new Option<string>("--path", "-o") { Description = "The bundle folder to write (created when missing), as Save-PinnedTool -Path.", Required = true };
        var tokenEnv = ModuleOptions.FeedTokenEnvironment();
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print only errors." };
        var command = new Command("save-module", "Save the pinned modules' .nupkg files, each held to its sha512, with their pinned dependencies, the manifest and its lock into a bundle folder; install-module --source installs from it offline. Exit 0 saved, 1 a verification failed, 2 bad input.")
        {
            names, manifest, path, tokenEnv, quiet,
        };
        OptionRules.SetAction(command, (parse, cancel) =>
        {
            bool silent = parse.GetValue(quiet);
            string manifestPath = parse.GetValue(manifest)!;
            try
            {
                PinnedManifest pinned = new ManifestReader().ReadFile(manifestPath);
                IReadOnlyList<PinnedModule> modules = ModuleInstaller.Select(pinned, parse.GetValue(names));
                using var downloader = new VerifiedDownloader(new VerifiedDownloaderOptions());
                var saver = new ModuleBundle(downloader) { FeedToken = ModuleOptions.FeedToken(parse.GetValue(tokenEnv)) };
                IReadOnlyList<BundledModule> saved = saver.SaveAsync(manifestPath, pinned, modules, Path.GetFullPath(parse.GetValue(path)!),
                    line => { if (!silent) Console.Error.WriteLine("  " + UriText.RedactText(line)); }, cancel).GetAwaiter().GetResult();
                if (!silent)
                {
                    foreach (BundledModule m in saved) Console.Out.WriteLine($"{m.Name} {m.Version}: saved to {m.Path}; sha512 {m.Sha512} verified{(m.IsDependency ? " (a dependency)" : "")}");
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
