using System.CommandLine;
using SecureInstall.Core.Registries;

namespace SecureInstall.Cli;

/// <summary>
/// The registry credential options `push` and `install` share: --registry-user with the password read from stdin
/// (--password-stdin) or from an environment variable (--password-env NAME), never from the command line (it would show in
/// the process list and the shell history). Without them the Docker config's entry for the host is used.
/// </summary>
internal sealed class RegistryOptions
{
    public Option<string?> User { get; } = new("--registry-user") { Description = "The registry user name; the password comes from --password-stdin or --password-env." };
    public Option<bool> PasswordStdin { get; } = new("--password-stdin") { Description = "Read the registry password (or token) from the first line of stdin." };
    public Option<string?> PasswordEnv { get; } = new("--password-env") { Description = "Read the registry password (or token) from this environment variable." };

    public void AddTo(Command command)
    {
        command.Add(User);
        command.Add(PasswordStdin);
        command.Add(PasswordEnv);
        OptionRules.OneOf(command, false, "Give the registry password once: --password-stdin or --password-env.", PasswordStdin, PasswordEnv);
        OptionRules.Require(command, given => given(User) == (given(PasswordStdin) || given(PasswordEnv)),
            "--registry-user needs a password from --password-stdin or --password-env (and those need --registry-user).");
    }

    /// <summary>The credential given, or null (the Docker config's entry is then used per host).</summary>
    /// <exception cref="RegistryCredentialException">the environment variable is not set.</exception>
    public RegistryCredential? Read(ParseResult parse)
    {
        string? user = parse.GetValue(User);
        if (user == null) return null;
        if (parse.GetValue(PasswordEnv) is string name)
        {
            string? value = Environment.GetEnvironmentVariable(name);
            if (string.IsNullOrEmpty(value)) throw new RegistryCredentialException("--password-env " + name, $"the environment variable {name} is not set");
            return new RegistryCredential(user, value!, "--registry-user with --password-env " + name);
        }
        string password = (Console.In.ReadLine() ?? string.Empty).TrimEnd('\r', '\n');
        return new RegistryCredential(user, password, "--registry-user with --password-stdin");
    }
}
