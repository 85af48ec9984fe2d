namespace SecureInstall.Core.Modules;

/// <summary>
/// A NuGet package version as feeds and PowerShell read it: up to four numeric parts, an optional "-prerelease" label, and
/// "+metadata" that is ignored. Equal versions compare equal however they are written ("1.2" and "1.2.0.0").
/// </summary>
public sealed class PackageVersion
{
    private PackageVersion(int[] parts, string prerelease)
    {
        Parts = parts;
        Prerelease = prerelease;
    }

    /// <summary>Four numbers, missing ones 0.</summary>
    public int[] Parts { get; }

    /// <summary>The label after '-', or empty for a release.</summary>
    public string Prerelease { get; }

    /// <summary>The numeric part as PowerShell's ModuleVersion writes it (System.Version: "1.2.3" or "1.2.3.4").</summary>
    public Version Numeric => new(Parts[0], Parts[1], Parts[2], Parts[3]);

    /// <summary>NuGet's normalised form, lower case: what a v3 flat container's paths use ("1.2.0", "1.2.3.4", "2.0.0-beta1").</summary>
    public string Normalized =>
        string.Join(".", (Parts[3] != 0 ? Parts : Parts.Take(3)).Select(p => p.ToString(System.Globalization.CultureInfo.InvariantCulture)))
        + (Prerelease.Length > 0 ? "-" + Prerelease.ToLowerInvariant() : string.Empty);

    public static PackageVersion? TryParse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        string v = text!.Trim();
        int plus = v.IndexOf('+');
        if (plus >= 0) v = v.Substring(0, plus);
        string prerelease = string.Empty;
        int dash = v.IndexOf('-');
        if (dash >= 0)
        {
            prerelease = v.Substring(dash + 1);
            v = v.Substring(0, dash);
            if (prerelease.Length == 0 || prerelease.Any(c => !(char.IsLetterOrDigit(c) && c < 128) && c != '.' && c != '-')) return null;
        }
        string[] split = v.Split('.');
        if (split.Length < 1 || split.Length > 4) return null;
        var parts = new int[4];
        for (int i = 0; i < split.Length; i++)
        {
            if (split[i].Length == 0 || split[i].Length > 9 || split[i].Any(c => c < '0' || c > '9')) return null;
            parts[i] = int.Parse(split[i], System.Globalization.CultureInfo.InvariantCulture);
        }
        return new PackageVersion(parts, prerelease);
    }

    public int CompareTo(PackageVersion? other)
    {
        if (other == null) return 1;
        for (int i = 0; i < 4; i++)
        {
            int c = Parts[i].CompareTo(other.Parts[i]);
            if (c != 0) return c;
        }
        // A release sorts after its prereleases.
        if (Prerelease.Length == 0 && other.Prerelease.Length == 0) return 0;
        if (Prerelease.Length == 0) return 1;
        if (other.Prerelease.Length == 0) return -1;
        return string.Compare(Prerelease, other.Prerelease, StringComparison.OrdinalIgnoreCase);
    }

    public bool SameAs(PackageVersion other) => CompareTo(other) == 0;

    /// <summary>
    /// Whether this version lies in a NuGet range as a .nuspec writes one: "1.0" (at least), "[1.0]" (exactly),
    /// "[1.0,2.0)", "(,2.0]", and empty (any). A range that cannot be read is null.
    /// </summary>
    public bool? Satisfies(string? range)
    {
        string r = (range ?? string.Empty).Trim();
        if (r.Length == 0) return true;
        if (r[0] != '[' && r[0] != '(')
            return TryParse(r) is { } least ? CompareTo(least) >= 0 : null;
        char close = r[r.Length - 1];
        if (r.Length < 2 || (close != ']' && close != ')')) return null;
        string inner = r.Substring(1, r.Length - 2);
        string[] ends = inner.Split(',');
        if (ends.Length == 1)
            return r[0] == '[' && close == ']' && TryParse(ends[0]) is { } exact ? SameAs(exact) : null;
        if (ends.Length != 2) return null;
        PackageVersion? low = ends[0].Trim().Length == 0 ? null : TryParse(ends[0]);
        PackageVersion? high = ends[1].Trim().Length == 0 ? null : TryParse(ends[1]);
        if ((ends[0].Trim().Length > 0 && low == null) || (ends[1].Trim().Length > 0 && high == null)) return null;
        if (low != null && (r[0] == '[' ? CompareTo(low) < 0 : CompareTo(low) <= 0)) return false;
        if (high != null && (close == ']' ? CompareTo(high) > 0 : CompareTo(high) >= 0)) return false;
        return true;
    }

    public override string ToString() => Normalized;
}
