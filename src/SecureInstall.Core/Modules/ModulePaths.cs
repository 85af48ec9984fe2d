namespace SecureInstall.Core.Modules;

/// <summary>The module folders PowerShell searches by default (PSModulePath), per edition and scope, as PowerShellGet installs into them.</summary>
public static class ModulePaths
{
    /// <summary>
    /// CurrentUser: Documents\PowerShell\Modules (pwsh) or Documents\WindowsPowerShell\Modules (Windows PowerShell) on
    /// Windows, $XDG_DATA_HOME/powershell/Modules (~/.local/share/powershell/Modules) elsewhere. AllUsers: the edition's
    /// folder under Program Files, /usr/local/share/powershell/Modules elsewhere.
    /// </summary>
    /// <param name="desktop">Windows PowerShell 5.1 ($PSEdition Desktop) rather than pwsh.</param>
    public static string Default(Install.InstallScope scope, bool desktop)
    {
        string edition = desktop ? "WindowsPowerShell" : "PowerShell";
        if (IO.UnixFileSystem.IsWindows)
        {
            string baseDir = scope == Install.InstallScope.AllUsers
                ? Environment.GetFolderPath(Environment.SpecialFolder.ProgramFiles)
                : Environment.GetFolderPath(Environment.SpecialFolder.MyDocuments);
            return Path.Combine(baseDir, edition, "Modules");
        }
        if (scope == Install.InstallScope.AllUsers) return "/usr/local/share/powershell/Modules";
        string? xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        string data = !string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg)
            ? xdg!
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
        return Path.Combine(data, "powershell", "Modules");
    }

    /// <summary>&lt;modulePath&gt;/&lt;Name&gt;/&lt;Version&gt;, the layout PowerShellGet writes and Import-Module -RequiredVersion finds.</summary>
    public static string VersionDirectory(string modulePath, string name, PackageVersion version) =>
        // A prerelease installs into its numeric folder, as PowerShellGet does (the label lives in the .psd1's PSData).
        Install.InstallRootLayout.VersionDirectory(modulePath, name, version.Numeric.ToString(version.Parts[3] != 0 ? 4 : 3));

    /// <summary>The folders PSModulePath names, in the order Import-Module searches them.</summary>
    public static string[] Searched() =>
        (Environment.GetEnvironmentVariable("PSModulePath") ?? string.Empty).Split(new[] { Path.PathSeparator }, StringSplitOptions.RemoveEmptyEntries);
}
