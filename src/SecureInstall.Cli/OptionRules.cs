using System.CommandLine;
using System.CommandLine.Parsing;

namespace SecureInstall.Cli;

/// <summary>
/// What every verb shares: rules over which options were given (checked while parsing, so a violation is a usage
/// error printed with the others, exit 2), the action wired to System.CommandLine's cancellation token (Ctrl+C and
/// SIGTERM cancel it), and the announcement of loosened limits.
/// </summary>
internal static class OptionRules
{
    /// <summary>True when the option was typed (a flag: typed and true), not merely defaulted.</summary>
    public static bool Given(CommandResult result, Option option)
    {
        OptionResult? found = result.GetResult(option);
        if (found == null || found.Implicit) return false;
        return option is not Option<bool> flag || found.GetValueOrDefault<bool>();
    }

    /// <summary>At most one of <paramref name="options"/> (exactly one when <paramref name="required"/>); otherwise <paramref name="message"/>.</summary>
    public static void OneOf(Command command, bool required, string message, params Option[] options) =>
        Require(command, given => options.Count(given) is var n && (required ? n == 1 : n <= 1), message);

    /// <summary>A rule over which options were given; when it does not hold, <paramref name="message"/> is the usage error.</summary>
    public static void Require(Command command, Func<Func<Option, bool>, bool> holds, string message) =>
        command.Validators.Add(result =>
        {
            if (!holds(option => Given(result, option))) result.AddError(message);
        });

    /// <summary>
    /// Sets the verb's action, run off the parsing thread so System.CommandLine can watch for Ctrl+C (and SIGTERM) while
    /// it runs: the token it hands in is cancelled then. An action that says nothing about its cancellation ends as
    /// "cancelled", exit 2, never with a stack trace.
    /// </summary>
    public static void SetAction(Command command, Func<ParseResult, CancellationToken, int> action) =>
        command.SetAction((parse, cancel) => Task.Run(() =>
        {
            try
            {
                return action(parse, cancel);
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                Console.Error.WriteLine("secureinstall: cancelled.");
                return ExitCodes.UsageError;
            }
        }, CancellationToken.None));

    /// <summary>Prints, on stderr, each limit the options loosen (a trust decision the user should see), unless quiet.</summary>
    public static void Announce(IEnumerable<string> loosened, bool quiet)
    {
        if (quiet) return;
        foreach (string line in loosened) Console.Error.WriteLine($"secureinstall: warning: {line}");
    }
}
