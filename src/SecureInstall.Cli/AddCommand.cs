using System.CommandLine;
using SecureInstall.Core;
using SecureInstall.Core.Catalogs;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.IO;

namespace SecureInstall.Cli;

/// <summary>`secureinstall add owner/name@version --manifest tools.yml`: Add-PinnedTool for bash.</summary>
public static class AddCommand
{
    public static Command Create()
    {
        var package = new Argument<string>("PACKAGE@VERSION") { Description = "The aqua package and its release tag (cli/cli@v2.63.0), or with --from winget a winget package (Casey.Just@1.58.0)." };
        var manifest = new Option<string>("--manifest", "-m") { Description = "The manifest to append the tool to (created when missing).", Required = true };
        var from = new Option<string>("--from") { Description = "The catalog: aqua (default) or winget (portable and zip installers, from a winget-pkgs checkout given by --registry).", DefaultValueFactory = _ => "aqua" };
        var registry = new Option<string?>("--aqua-registry", "--registry") { Description = "An aqua registry checkout, or the https URL of its raw files (default: the public registry's main branch); with --from winget, a winget-pkgs checkout." };
        var githubBase = new Option<string?>("--github-base") { Description = "Release download base for GitHub Enterprise Server (default: https://$GH_HOST/ or https://github.com/)." };
        var tofu = new Option<string?>("--trust-on-first-use") { Description = "REASON: pin what nothing from the publisher pins by downloading and hashing it now, recording this reason." };
        var whatIf = new Option<bool>("--what-if") { Description = "Show the entry per platform (URL, digest source, policy); fetch and write nothing." };

        var command = new Command("add", "Pin a tool from the aqua registry or winget-pkgs: every platform's URL and the publisher's digest, appended to the manifest. Exit 0 added, 1 nothing pins it, 2 bad input.")
        {
            package, manifest, from, registry, githubBase, tofu, whatIf,
        };
        OptionRules.SetAction(command, (parse, cancel) =>
        {
            string spec = parse.GetValue(package)!;
            int at = spec.LastIndexOf('@');
            if (at <= 0 || at == spec.Length - 1)
            {
                Console.Error.WriteLine($"secureinstall: '{spec}' is not PACKAGE@VERSION (e.g. cli/cli@v2.63.0).");
                return ExitCodes.UsageError;
            }
            Uri? baseUri = null;
            try
            {
                if (parse.GetValue(githubBase) is string b)
                    baseUri = Uri.TryCreate(b.EndsWith('/') ? b : b + "/", UriKind.Absolute, out Uri? u) ? u : throw new ArgumentException($"--github-base '{b}' is not a URL.");
                baseUri = CatalogToolAdder.GitHubBaseFrom(baseUri, Environment.GetEnvironmentVariable("GH_HOST"));
            }
            catch (ArgumentException ex)
            {
                Console.Error.WriteLine($"secureinstall: {ex.Message}");
                return ExitCodes.UsageError;
            }
            var request = new CatalogAddRequest
            {
                ManifestPath = Path.GetFullPath(parse.GetValue(manifest)!), Package = spec.Substring(0, at), Version = spec.Substring(at + 1),
                From = parse.GetValue(from)!, Registry = parse.GetValue(registry), GitHubBase = baseUri,
                TrustOnFirstUseReason = parse.GetValue(tofu), WhatIf = parse.GetValue(whatIf),
            };
            try
            {
                using var downloader = new VerifiedDownloader(new VerifiedDownloaderOptions { NoCache = true });
                CatalogAddition added = new CatalogToolAdder(downloader, m => Console.Error.WriteLine("  " + UriText.RedactText(m)))
                    .AddAsync(request, cancel).GetAwaiter().GetResult();
                foreach (CatalogPin pin in added.Pins)
                    Console.Out.WriteLine($"{added.Tool} {added.Version} {pin.Platform}: {UriText.Redact(pin.Url)} {pin.Sha256 ?? pin.Integrity ?? ""} ({pin.DigestSource})");
                foreach (string skipped in added.Skipped) Console.Out.WriteLine($"  no entry: {skipped}");
                foreach (string note in added.NotCarried) Console.Out.WriteLine($"  not carried: {note}");
                Console.Out.WriteLine($"  signature policy: {added.Signature ?? "none"}");
                if (request.WhatIf)
                {
                    Console.Out.WriteLine($"What if: would append {added.Tool} to {request.ManifestPath}:");
                    Console.Out.Write(added.Entry);
                }
                else
                {
                    AtomicFile.WriteAllText(request.ManifestPath, added.Text!);
                    Console.Out.WriteLine($"{added.Tool} {added.Version}: added to {request.ManifestPath} from {added.Definition}.");
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
