using System;
using System.Collections.Generic;
using System.Text.RegularExpressions;

namespace SecureInstall.Release;

/// <summary>
/// Writes the release's version, download base and the SHA-256 of each native `secureinstall` into install.sh (issue 23).
/// The script stays ASCII with LF endings (its digest is pinned in the README one-liner), as the PowerShell bootstrap does.
/// </summary>
public static class InstallScriptStamp
{
    /// <summary>The platforms install.sh knows (uname → runtime identifier); the Windows binary is installed by other means.</summary>
    public static readonly IReadOnlyList<string> Runtimes = new[] { "linux-x64", "linux-arm64", "osx-arm64" };

    /// <summary>The release asset name of the native binary for a runtime identifier.</summary>
    public static string AssetName(string runtime) => "secureinstall-" + runtime + (runtime.StartsWith("win", StringComparison.Ordinal) ? ".exe" : "");

    public static string Apply(string script, string version, Uri baseUri, IReadOnlyDictionary<string, string> digests)
    {
        ArgumentNullException.ThrowIfNull(script);
        ArgumentNullException.ThrowIfNull(digests);
        BootstrapStamp.CheckVersion(version);
        string uri = baseUri.AbsoluteUri;
        if (baseUri.Scheme != Uri.UriSchemeHttps || !uri.EndsWith('/') || Regex.IsMatch(uri, @"['""\\$`\s]"))
            throw new ArgumentException($"The download base must be an https URI ending in '/', free of quotes and shell characters: {uri}.", nameof(baseUri));
        if (digests.Count == 0) throw new ArgumentException("install.sh needs the digest of at least one native binary.", nameof(digests));
        BootstrapStamp.CheckBytes(script);

        string stamped = Replace(script, "release_version", version);
        stamped = Replace(stamped, "release_base_uri", uri);
        foreach (string runtime in Runtimes)
        {
            string digest = digests.TryGetValue(runtime, out string? d) ? d : "";
            if (digest.Length != 0 && !Regex.IsMatch(digest, "^[0-9a-f]{64}$")) throw new ArgumentException($"The digest for {runtime} must be 64 lower-case hex digits.", nameof(digests));
            stamped = Replace(stamped, "sha256_" + runtime.Replace('-', '_'), digest);
        }
        foreach (string runtime in digests.Keys)
        {
            if (!((IList<string>)Runtimes).Contains(runtime)) throw new ArgumentException($"install.sh installs no binary for {runtime}.", nameof(digests));
        }
        return stamped;
    }

    private static string Replace(string script, string variable, string value)
    {
        var pattern = new Regex($"^{variable}='[^'\\n]*'$", RegexOptions.Multiline);
        int count = pattern.Count(script);
        if (count != 1) throw new FormatException($"install.sh must assign {variable} on exactly one line; found {count}.");
        return pattern.Replace(script, $"{variable}='{value}'");
    }
}
