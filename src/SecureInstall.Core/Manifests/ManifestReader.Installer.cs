using YamlDotNet.RepresentationModel;

namespace SecureInstall.Core.Manifests;

/// <summary>An artifact's <c>installer:</c> block: a setup program run with its silent switches on Windows (see <see cref="PinnedInstaller"/>).</summary>
public sealed partial class ManifestReader
{
    private static readonly string[] InstallerKeys = { "type", "silent", "custom", "scope", "elevated", "success_codes", "return_codes" };

    private static PinnedInstaller? ReadInstallerBlock(PinnedTool tool, PinnedVersion version, YamlMappingNode artifact, string platform, Context source)
    {
        YamlNode? node = Get(artifact, "installer");
        if (node == null) return null;
        string where = $"{tool.Name} {version.Key}: installer";
        if (node is not YamlMappingNode body)
            throw new ManifestFormatException(source, Line(node), $"{where} must be a mapping of {string.Join(", ", InstallerKeys)}.");
        // A setup program is a Windows program: one under a linux or darwin key would be started on Windows by -Platform.
        if (platform != Platforms.Any && !platform.StartsWith("windows-", StringComparison.Ordinal))
            throw new ManifestFormatException(source, Line(node), $"{where}: setup programs are Windows programs; {platform} cannot have one.");
        foreach (string key in body.Children.Keys.Select(k => Scalar(k, source)).Where(k => !InstallerKeys.Contains(k)))
            throw new ManifestFormatException(source, LineOf(body, key), $"{where}: '{key}' is not an installer setting (one of {string.Join(", ", InstallerKeys)}).");
        string type = (OptionalScalar(body, "type", source) ?? string.Empty).ToLowerInvariant();
        if (!PinnedInstaller.Types.Contains(type))
            throw new ManifestFormatException(source, LineOf(body, "type"), $"{where} type '{type}' is not one of {string.Join(", ", PinnedInstaller.Types)}.");
        string? scope = OptionalScalar(body, "scope", source)?.ToLowerInvariant();
        if (scope is not (null or "user" or "machine"))
            throw new ManifestFormatException(source, LineOf(body, "scope"), $"{where} scope '{scope}' is not user or machine.");
        string? elevated = OptionalScalar(body, "elevated", source);
        if (elevated is not (null or "true" or "false"))
            throw new ManifestFormatException(source, LineOf(body, "elevated"), $"{where} elevated '{elevated}' is not true or false.");
        var installer = new PinnedInstaller
        {
            Type = type, Silent = OptionalScalar(body, "silent", source), Custom = OptionalScalar(body, "custom", source), Scope = scope,
            Elevated = scope == "machine" || elevated == "true",
        };
        foreach (string? switches in new[] { installer.Silent, installer.Custom })
        {
            if (switches != null && switches.Any(char.IsControl))
                throw new ManifestFormatException(source, Line(body), $"{where}: switches hold a control character.");
        }
        if (type == "exe" && string.IsNullOrWhiteSpace(installer.Silent))
            throw new ManifestFormatException(source, Line(body), $"{where}: a plain 'exe' installer needs its silent switches (silent:); SecureInstall does not start an installer that may wait for a person.");
        if (Get(body, "success_codes") is { } codes)
        {
            if (codes is not YamlSequenceNode list) throw new ManifestFormatException(source, Line(codes), $"{where} success_codes is a list of exit codes.");
            installer.SuccessCodes = list.Select(c => ExitCode(Scalar(c, source), source, Line(c), where)).ToList();
        }
        if (Get(body, "return_codes") is { } known)
        {
            if (known is not YamlMappingNode map) throw new ManifestFormatException(source, Line(known), $"{where} return_codes maps exit codes to what they mean.");
            installer.ReturnCodes = map.Children.ToDictionary(kv => ExitCode(Scalar(kv.Key, source), source, Line(kv.Key), where), kv => Scalar(kv.Value, source));
        }
        return installer;
    }

    private static int ExitCode(string text, Context source, int line, string where) =>
        int.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out int code)
            ? code : throw new ManifestFormatException(source, line, $"{where}: '{text}' is not an exit code.");
}
