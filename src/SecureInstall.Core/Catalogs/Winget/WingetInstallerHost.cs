namespace SecureInstall.Core.Catalogs.Winget;

/// <summary>
/// Whether a winget InstallerUrl is served from where its own manifest says the package lives. The rule, read from the
/// corpus (../shared/corpus/winget-pkgs): the URL must be on a site one of the manifest's locale URLs names (PackageUrl,
/// PublisherUrl, PublisherSupportUrl, LicenseUrl, CopyrightUrl, ReleaseNotesUrl, PrivacyUrl, Documentations'
/// DocumentUrl). On a shared code host (github.com, where anyone has an account) that is the same host and the same owner
/// (the first path segment: github.com/cli/… needs a manifest URL under github.com/cli); elsewhere the same registrable
/// domain (dist.nuget.org for www.nuget.org, download.visualstudio.microsoft.com for www.microsoft.com). A manifest edited
/// to point its installer at another site, or at another account's releases, is refused: its InstallerSha256 would only
/// vouch for what that site serves.
/// </summary>
public static class WingetInstallerHost
{
    /// <summary>The locale fields whose value is a URL of the package or its publisher.</summary>
    public static readonly IReadOnlyList<string> UrlFields = new[]
    {
        "PackageUrl", "PublisherUrl", "PublisherSupportUrl", "LicenseUrl", "CopyrightUrl", "ReleaseNotesUrl", "PrivacyUrl", "DocumentUrl",
    };

    // Hosts where the first path segment is an account anyone can register: the site alone says nothing about the publisher.
    private static readonly HashSet<string> SharedCodeHosts = new(StringComparer.OrdinalIgnoreCase) { "github.com", "gitlab.com", "codeberg.org", "bitbucket.org", "sourceforge.net" };

    // Suffixes under which each label is a different owner (a subset of the Public Suffix List: the ones met in manifests).
    private static readonly HashSet<string> SharedSuffixes = new(StringComparer.OrdinalIgnoreCase)
    {
        "github.io", "gitlab.io", "netlify.app", "vercel.app", "pages.dev", "web.app", "firebaseapp.com", "azurewebsites.net", "blob.core.windows.net",
        "s3.amazonaws.com", "cloudfront.net", "sourceforge.io", "readthedocs.io", "gitbook.io",
    };

    /// <summary>Why <paramref name="installer"/> is not on a site <paramref name="named"/> names, or null when it is.</summary>
    public static string? Refusal(Uri installer, IReadOnlyCollection<Uri> named)
    {
        if (installer == null) throw new ArgumentNullException(nameof(installer));
        if (named == null || named.Count == 0)
            return $"the InstallerUrl {installer.Host} cannot be checked: the manifest names no PackageUrl or PublisherUrl (nor another URL of the package)";
        string? owner = SharedCodeHosts.Contains(installer.IdnHost) ? OwnerOf(installer) : null;
        foreach (Uri site in named)
        {
            if (owner != null)
            {
                if (string.Equals(site.IdnHost, installer.IdnHost, StringComparison.OrdinalIgnoreCase) && string.Equals(OwnerOf(site), owner, StringComparison.OrdinalIgnoreCase)) return null;
            }
            else if (!SharedCodeHosts.Contains(site.IdnHost) && string.Equals(RegistrableDomain(site.IdnHost), RegistrableDomain(installer.IdnHost), StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }
        }
        string what = owner != null ? $"{installer.IdnHost}/{owner}" : RegistrableDomain(installer.IdnHost);
        return $"the InstallerUrl {installer.GetLeftPart(UriPartial.Path)} is on {what}, which none of the manifest's own URLs names "
            + $"({string.Join(", ", named.Select(u => u.GetLeftPart(UriPartial.Authority) + (SharedCodeHosts.Contains(u.IdnHost) && OwnerOf(u) is { } o ? "/" + o : "")).Distinct())}); "
            + "an installer from another site than the package's is refused";
    }

    /// <summary>The host's registrable domain: the last two labels, or three under a shared suffix (x.github.io) or a two-letter country's second level (co.uk).</summary>
    public static string RegistrableDomain(string host)
    {
        string h = (host ?? string.Empty).TrimEnd('.').ToLowerInvariant();
        string[] labels = h.Split('.');
        if (labels.Length <= 2 || System.Net.IPAddress.TryParse(h, out _)) return h;
        for (int take = Math.Min(labels.Length - 1, 3); take >= 2; take--)
        {
            if (SharedSuffixes.Contains(string.Join(".", labels.Skip(labels.Length - take)))) return string.Join(".", labels.Skip(labels.Length - take - 1));
        }
        string tld = labels[labels.Length - 1], second = labels[labels.Length - 2];
        bool countrySecondLevel = tld.Length == 2 && second is "co" or "com" or "org" or "net" or "ac" or "gov" or "edu" or "ne" or "or" or "go";
        return string.Join(".", labels.Skip(labels.Length - (countrySecondLevel ? 3 : 2)));
    }

    private static string? OwnerOf(Uri uri)
    {
        string first = uri.AbsolutePath.TrimStart('/').Split('/')[0];
        return first.Length == 0 ? null : Uri.UnescapeDataString(first);
    }
}
