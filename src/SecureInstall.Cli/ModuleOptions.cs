using System.CommandLine;
using SecureInstall.Core.Install;
using SecureInstall.Core.Modules;

namespace SecureInstall.Cli;

/// <summary>The options install-module and test-module share, mapped as the *-PinnedModule cmdlets map theirs.</summary>
internal static class ModuleOptions
{
    public static Option<InstallScope> Scope() =>
        new("--scope") { Description = "CurrentUser (default) or AllUsers: the module folder of PowerShell 7 for that scope, and the install root whose lock file serialises lock writes.", DefaultValueFactory = _ => InstallScope.CurrentUser };

    /// <summary>
    /// The feed token by the name of the environment variable holding it, never the secret itself on the command line
    /// (where ps and shell history would show it): Install-PinnedModule's -FeedToken SecureString.
    /// </summary>
    public static Option<string?> FeedTokenEnvironment() =>
        new("--feed-token-env") { Description = "The environment variable holding a bearer token for the feeds (sent to each feed's own host only, never after a redirect to another)." };

    /// <summary>--module-path as given (made absolute), else the scope's folder of PowerShell 7, the edition the CLI's users run.</summary>
    public static string ModulePath(string? given, InstallScope scope) =>
        given != null ? Path.GetFullPath(given) : ModulePaths.Default(scope, desktop: false);

    /// <summary>The token the variable named holds; a variable that is unset or empty is bad input (a silent anonymous request would fail later, less clearly).</summary>
    public static string? FeedToken(string? variable)
    {
        if (variable == null) return null;
        string? value = Environment.GetEnvironmentVariable(variable);
        if (string.IsNullOrWhiteSpace(value))
            throw new ModuleException(Core.ErrorIds.TokenInvalid, Core.FailureKind.InvalidData, variable,
                $"--feed-token-env names the environment variable {variable}, which is unset or empty. Export the feed's token in it, or leave the option out.");
        return value!.Trim();
    }
}
