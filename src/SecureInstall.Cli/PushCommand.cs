using System.CommandLine;
using SecureInstall.Core;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.Install;
using SecureInstall.Core.Manifests;
using SecureInstall.Core.Registries;

namespace SecureInstall.Cli;

/// <summary>`secureinstall push`: Save-PinnedTool -Destination oci://… for bash. Pushes the pinned artifacts as one OCI artifact.</summary>
public static class PushCommand
{
    public static Command Create()
    {
        var manifest = new Option<string>("--manifest", "-m") { Description = "The manifest (YAML) whose pinned artifacts are pushed.", Required = true };
        var to = new Option<string>("--to") { Description = "oci://HOST[:PORT]/REPO[:TAG] (the tag defaults to latest).", Required = true };
        var names = new Argument<string[]>("NAME") { Description = "Tools, or modules the manifest pins under modules:, to push (default: every tool and every module).", Arity = ArgumentArity.ZeroOrMore };
        var version = new Option<string?>("--version") { Description = "The version to push (default: each tool's default_version)." };
        var platform = new Option<string[]>("--platform") { Description = "os-arch to push (repeatable; default: every platform the manifest pins). Modules have no platform: they are pushed whatever it says." };
        var tokenEnv = ModuleOptions.FeedTokenEnvironment();
        var mountFrom = new Option<string[]>("--mount-from") { Description = "Repositories on the same registry to mount blobs from before uploading them (repeatable)." };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print only errors." };
        var insecure = new Option<bool>("--allow-insecure-transport") { Description = "Push over plain HTTP (as oras --plain-http); artifacts' http:// URLs are fetched too." };
        var credentials = new RegistryOptions();
        var command = new Command("push", "Push the artifacts and modules a manifest pins (verified against the pins first) to an OCI registry as one artifact. Exit 0 pushed, 1 a verification failed, 2 bad input or a registry error.")
        {
            names, manifest, to, version, platform, mountFrom, tokenEnv, quiet, insecure,
        };
        credentials.AddTo(command);
        OptionRules.SetAction(command, (parse, cancel) =>
        {
            bool silent = parse.GetValue(quiet);
            try
            {
                string manifestPath = Path.GetFullPath(parse.GetValue(manifest)!);
                OciReference reference = OciReference.Parse(parse.GetValue(to)!, plainHttp: parse.GetValue(insecure));
                PinnedManifest pinned = new ManifestReader().ReadFile(manifestPath);
                var platforms = (parse.GetValue(platform) ?? Array.Empty<string>()).Select(Platforms.Parse).Distinct().ToList();
                var selection = BundleSelection.Of(pinned, parse.GetValue(names) ?? Array.Empty<string>(), parse.GetValue(version), platforms);
                string? feedToken = ModuleOptions.FeedToken(parse.GetValue(tokenEnv));
                var options = new VerifiedDownloaderOptions { RegistryCredential = credentials.Read(parse), AllowInsecureTransport = parse.GetValue(insecure) };
                OptionRules.Announce(LoosenedLimits.Of(options, name => name == nameof(options.AllowInsecureTransport) ? insecure.Name : name), silent);
                if (!silent) options.Log = line => Console.Error.WriteLine("  " + line);
                using var downloader = new VerifiedDownloader(options);
                using var client = new RegistryClient(reference, options, DockerConfig.Resolve(reference.Host, options.RegistryCredential, options.Log));
                RegistryPushResult result = new RegistryPush(downloader, client) { MountFrom = parse.GetValue(mountFrom) ?? Array.Empty<string>(), FeedToken = feedToken }
                    .PushAsync(manifestPath, selection, options.Log, cancel).GetAwaiter().GetResult();
                if (!silent)
                {
                    Console.Out.WriteLine($"{result.Reference}: {result.Digest}; {result.Layers} layers, {result.BlobsUploaded} uploaded ({result.BytesUploaded} bytes), {result.BlobsSkipped} already there, {result.BlobsMounted} mounted");
                    foreach (Core.Modules.BundledModule m in result.Modules) Console.Out.WriteLine($"{m.Name} {m.Version}: pushed as sha512:{m.Sha512}{(m.IsDependency ? " (a dependency)" : "")}");
                }
                return ExitCodes.Verified;
            }
            catch (ArgumentException ex) when (ex is not ArgumentNullException)
            {
                Console.Error.WriteLine($"secureinstall: {ex.Message}");
                return ExitCodes.UsageError;
            }
            catch (Exception ex) when (ex is SecureInstallException or IOException or UnauthorizedAccessException)
            {
                return ExitCodes.Report(ex);
            }
        });
        return command;
    }
}
