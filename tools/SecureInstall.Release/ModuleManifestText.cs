using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;

namespace SecureInstall.Release;

/// <summary>The values the packages need from SecureInstall.psd1, read from its text (the tool runs without PowerShell).</summary>
public sealed class ModuleManifestText
{
    public ModuleManifestText(string text)
    {
        Version = Scalar(text, "ModuleVersion");
        Author = Scalar(text, "Author");
        Description = Scalar(text, "Description");
        Copyright = Scalar(text, "Copyright");
        ProjectUri = Scalar(text, "ProjectUri");
        LicenseUri = Scalar(text, "LicenseUri");
        Cmdlets = List(text, "CmdletsToExport");
        Tags = List(text, "Tags");
    }

    public string Version { get; }
    public string Author { get; }
    public string Description { get; }
    public string Copyright { get; }
    public string ProjectUri { get; }
    public string LicenseUri { get; }
    public IReadOnlyList<string> Cmdlets { get; }
    public IReadOnlyList<string> Tags { get; }

    private static string Scalar(string text, string key)
    {
        Match m = Regex.Match(text, $@"^\s*{key}\s*=\s*'(?<v>(?:[^']|'')*)'", RegexOptions.Multiline);
        if (!m.Success) throw new FormatException($"SecureInstall.psd1 has no single-quoted {key}.");
        return m.Groups["v"].Value.Replace("''", "'");
    }

    private static IReadOnlyList<string> List(string text, string key)
    {
        Match m = Regex.Match(text, $@"^\s*{key}\s*=\s*@\((?<v>[^)]*)\)", RegexOptions.Multiline);
        if (!m.Success) throw new FormatException($"SecureInstall.psd1 has no {key} = @(…).");
        return Regex.Matches(m.Groups["v"].Value, "'([^']*)'").Select(x => x.Groups[1].Value).ToList();
    }
}
