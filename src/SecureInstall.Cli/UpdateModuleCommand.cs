using System.CommandLine;
using SecureInstall.Core;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.IO;
using SecureInstall.Core.Manifests;
using SecureInstall.Core.Modules;

namespace SecureInstall.Cli;

/// <summary>`secureinstall update-module`: Update-PinnedModuleManifest for bash. Prints each pin written (or that would be, with --what-if).</summary>
public static class UpdateModuleCommand
{
    public static Command Create()
    {
        var manifest = new Option<string>("--manifest", "-m") { Description = "The manifest (YAML) whose modules: section gets the pins.", Required = true };
        var name = new Argument<string>("MODULE") { Description = "The module to pin, with its dependencies." };
        var version = new Option<string?>("--version") { Description = "The version to pin (default: the feed's highest release)." };
        var source = new Option<string?>("--source") { Description = "The feed: a NuGet v2 endpoint or a v3 index.json (default: the module's pinned source)." };
        var tokenEnv = ModuleOptions.FeedTokenEnvironment();
        var whatIf = new Option<bool>("--what-if") { Description = "Print the pins that would change, and write nothing (the cmdlet's -WhatIf)." };
        var command = new Command("update-module", "Pin a PowerShell module version from its feed with the .nupkg's sha512, and each of its dependencies at the highest version in its range; the manifest is edited in place, atomically. Exit 0 pinned, 1 a pinned version's package changed, 2 bad input.")
        {
            name, manifest, version, source, tokenEnv, whatIf,
        };
        OptionRules.SetAction(command, (parse, cancel) =>
        {
            string manifestPath = Path.GetFullPath(parse.GetValue(manifest)!);
            try
            {
                // As the cmdlet's [Uri] binds it; the updater refuses one that is not absolute, for both.
                Uri? feed = parse.GetValue(source) is string s ? new Uri(s, UriKind.RelativeOrAbsolute) : null;
                string text = YamlBounds.ReadFile(manifestPath, ManifestReader.MaximumBytes);
                // NoCache: the pin is what the feed serves now, not what a cache kept.
                using var downloader = new VerifiedDownloader(new VerifiedDownloaderOptions { NoCache = true });
                var updater = new ModuleManifestUpdater(downloader, ModuleOptions.FeedToken(parse.GetValue(tokenEnv)));
                ModuleManifestUpdate update = updater.UpdateAsync(text, manifestPath, Path.GetDirectoryName(manifestPath), parse.GetValue(name)!, parse.GetValue(version), feed,
                    line => Console.Error.WriteLine("  " + UriText.RedactText(line)), cancel).GetAwaiter().GetResult();
                bool dry = parse.GetValue(whatIf);
                if (update.Changed && !dry) AtomicFile.WriteAllText(manifestPath, update.Text);
                foreach (ModulePinUpdate pin in update.Pins)
                {
                    string what = pin.Change switch { "added" => "pinned", "updated" => $"{pin.FromVersion} -> {pin.Version}", _ => "unchanged" };
                    Console.Out.WriteLine($"{(dry && pin.Change != "unchanged" ? "what if: " : "")}{pin.Name} {pin.Version}: {what}, sha512 {pin.Sha512}{(pin.IsDependency ? " (a dependency)" : "")}");
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
