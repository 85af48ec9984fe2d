using System.CommandLine;
using SecureInstall.Core.Install;

namespace SecureInstall.Cli;

/// <summary>--scope for install and verify-installed: current-user (default) or all-users, or the cmdlets' CurrentUser / AllUsers.</summary>
public static class ScopeOption
{
    public static Option<InstallScope> Create(string description) => new("--scope")
    {
        Description = description + " current-user (default) or all-users (also CurrentUser, AllUsers).",
        DefaultValueFactory = _ => InstallScope.CurrentUser,
        CustomParser = result =>
        {
            string text = result.Tokens.Count == 0 ? string.Empty : result.Tokens[0].Value;
            switch (text.Replace("-", string.Empty).ToLowerInvariant())
            {
                case "currentuser": return InstallScope.CurrentUser;
                case "allusers": return InstallScope.AllUsers;
                default:
                    result.AddError($"--scope '{text}' is not current-user or all-users.");
                    return InstallScope.CurrentUser;
            }
        },
    };
}
