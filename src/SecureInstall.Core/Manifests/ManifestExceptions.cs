namespace SecureInstall.Core.Manifests;

/// <summary>The manifest cannot be read at all (bad YAML, wrong shape).</summary>
public sealed class ManifestFormatException : SecureInstallException
{
    public ManifestFormatException(string source, int line, string reason, System.Exception? inner = null)
        : base(line > 0 ? $"{source}, line {line}: {reason}" : $"{source}: {reason}", ErrorIds.ManifestInvalid, FailureKind.InvalidData, source, inner)
    {
        ManifestSource = source;
        Line = line;
    }

    public string ManifestSource { get; }
    public int Line { get; }
}

/// <summary>An entry breaks a fail-closed rule: no digest, a moving version, an insecure URL.</summary>
public sealed class ManifestRuleException : SecureInstallException
{
    public ManifestRuleException(string errorId, string source, string tool, string? version, int line, string reason)
        : base($"{source}, line {line}: {tool}{(version == null ? "" : " " + version)}: {reason}", errorId, FailureKind.Security, tool)
    {
        Tool = tool;
        Version = version;
        Line = line;
    }

    public string Tool { get; }
    public string? Version { get; }
    public int Line { get; }
}
