using System.CommandLine;
using SecureInstall.Core.Downloads;

namespace SecureInstall.Cli;

/// <summary>
/// The registry options `install` and `install-module` share, as Install-PinnedTool and Install-PinnedModule take them:
/// --registry (oci://HOST/REPO or an image layout folder, repeatable), --registry-only, --allow-insecure-transport and the
/// credential options of <see cref="RegistryOptions"/>.
/// </summary>
internal sealed class RegistryPullOptions
{
    private readonly RegistryOptions _credentials = new();

    public RegistryPullOptions(string fetched, string original)
    {
        Registry = new Option<string[]>("--registry") { Description = $"oci://HOST/REPO or an OCI image layout folder: {fetched} fetched there by digest first (repeatable)." };
        RegistryOnly = new Option<bool>("--registry-only") { Description = $"Fetch only from the registries (--registry, mirrors.json), never {original}." };
    }

    public Option<string[]> Registry { get; }
    public Option<bool> RegistryOnly { get; }
    public Option<bool> Insecure { get; } = new("--allow-insecure-transport") { Description = "Speak plain HTTP to the --registry registries (as oras --plain-http) and to mirrors.json registries marked \"plainHttp\": true." };

    public void AddTo(Command command)
    {
        command.Add(Registry);
        command.Add(RegistryOnly);
        command.Add(Insecure);
        _credentials.AddTo(command);
    }

    /// <summary>The downloader options given; the loosened limits announced unless <paramref name="silent"/>.</summary>
    /// <exception cref="Core.SecureInstallException">a malformed registry, or an unset --password-env variable.</exception>
    public VerifiedDownloaderOptions Read(ParseResult parse, bool silent)
    {
        var options = new VerifiedDownloaderOptions { RegistryOnly = parse.GetValue(RegistryOnly), AllowInsecureTransport = parse.GetValue(Insecure) };
        OptionRules.Announce(Core.LoosenedLimits.Of(options, name => name == nameof(options.AllowInsecureTransport) ? Insecure.Name : name), silent);
        options.RegistryCredential = _credentials.Read(parse);
        options.Registries = (parse.GetValue(Registry) ?? Array.Empty<string>()).Select(r => Core.Registries.RegistrySource.Parse(r, plainHttp: options.AllowInsecureTransport)).ToList();
        return options;
    }
}
