using System;
using System.Text;
using System.Text.RegularExpressions;

namespace SecureInstall.Release;

/// <summary>
/// Writes the release's package digest, size, URI and version into module/Install-SecureInstall.ps1. The script must
/// stay ASCII with LF endings: the README one-liner hashes its bytes, and the script re-hashes its own text from memory.
/// </summary>
public static class BootstrapStamp
{
    public static string Apply(string script, string version, Uri packageUri, string sha256, long size)
    {
        ArgumentNullException.ThrowIfNull(script);
        CheckVersion(version);
        if (packageUri.Scheme != Uri.UriSchemeHttps || packageUri.AbsoluteUri.Contains('\'', StringComparison.Ordinal))
            throw new ArgumentException($"The package URI must be https and free of quotes: {packageUri}.", nameof(packageUri));
        if (!Regex.IsMatch(sha256, "^[0-9a-f]{64}$")) throw new ArgumentException("The package digest must be 64 lower-case hex digits.", nameof(sha256));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        CheckBytes(script);

        string stamped = script;
        stamped = Replace(stamped, "ReleaseVersion", $"'{version}'");
        stamped = Replace(stamped, "ReleasePackageSha256", $"'{sha256}'");
        stamped = Replace(stamped, "ReleasePackageSize", size.ToString(System.Globalization.CultureInfo.InvariantCulture));
        stamped = Replace(stamped, "ReleasePackageUri", $"'{packageUri.AbsoluteUri}'");
        return stamped;
    }

    public static void CheckVersion(string version)
    {
        if (!Regex.IsMatch(version, @"^[0-9]+\.[0-9]+\.[0-9]+$")) throw new ArgumentException($"'{version}' is not a module version (N.N.N).", nameof(version));
    }

    /// <summary>ASCII only, no CR, no BOM: anything else would make the in-memory self-check differ from the file's digest.</summary>
    public static void CheckBytes(string script)
    {
        for (int i = 0; i < script.Length; i++)
        {
            char c = script[i];
            if (c == '\r' || c > 0x7e || (c < 0x20 && c != '\n' && c != '\t'))
                throw new FormatException($"The bootstrap must be ASCII with LF line endings; found U+{(int)c:X4} at offset {i}.");
        }
    }

    private static string Replace(string script, string variable, string value)
    {
        var pattern = new Regex($@"^(?<indent>[ ]*)\${variable} = [^\n]*$", RegexOptions.Multiline);
        MatchCollection matches = pattern.Matches(script);
        if (matches.Count != 1) throw new FormatException($"The bootstrap must assign ${variable} on exactly one line; found {matches.Count}.");
        return pattern.Replace(script, m => $"{m.Groups["indent"].Value}${variable} = {value}");
    }

    public static byte[] Encode(string script) => Encoding.ASCII.GetBytes(script);
}
