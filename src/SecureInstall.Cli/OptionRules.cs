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
    /// Sets the verb's action. <see cref="TryRunHere"/> runs it on the calling thread with its own Ctrl+C and SIGTERM
    /// handling; through System.CommandLine's InvokeAsync it runs off the parsing thread so System.CommandLine can watch
    /// for them. Either way the token handed in is cancelled by Ctrl+C or SIGTERM, and an action that says nothing
    /// about its cancellation ends as "cancelled", exit 2, never with a stack trace.
    /// </summary>
    public static void SetAction(Command command, Func<ParseResult, CancellationToken, int> action)
    {
        Actions.AddOrUpdate(command, action);
        command.SetAction((parse, cancel) => Task.Run(() => Run(action, parse, cancel), CancellationToken.None));
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Command, Func<ParseResult, CancellationToken, int>> Actions = new();

    private static int Run(Func<ParseResult, CancellationToken, int> action, ParseResult parse, CancellationToken cancel)
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
    }

    /// <summary>
    /// Runs the verb <paramref name="parsed"/> names on this thread, when its action is the one set by
    /// <see cref="SetAction"/> (not help, --version or a directive): what InvokeAsync does for it, without the thread
    /// pool (two workers and its gate thread started, and the hand-offs between them and this thread, in a process
    /// that checks one small file in a few milliseconds). Ctrl+C and SIGTERM cancel the token as InvokeAsync's do, and
    /// a verb that has not stopped <paramref name="grace"/> after it ends the process with exit 2.
    /// </summary>
    public static bool TryRunHere(ParseResult parsed, TimeSpan grace, out int code)
    {
        code = 0;
        Command command = parsed.CommandResult.Command;
        if (parsed.Errors.Count > 0 || parsed.Action == null || !ReferenceEquals(parsed.Action, command.Action)
            || !Actions.TryGetValue(command, out Func<ParseResult, CancellationToken, int>? action))
            return false;
        // Not disposed: a signal handled while this returns may still use them.
        var cancel = new CancellationTokenSource();
        var done = new ManualResetEventSlim();
        void OnSignal(System.Runtime.InteropServices.PosixSignalContext context)
        {
            context.Cancel = true; // the verb stops on the token and cleans up (staging folders, temporary files)
            cancel.Cancel();
            var watch = new Thread(() =>
            {
                if (done.Wait(grace)) return;
                Console.Error.WriteLine(NotStopped(grace));
                Environment.Exit(ExitCodes.UsageError);
            }) { IsBackground = true };
            watch.Start();
        }
        using var sigint = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, OnSignal);
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, OnSignal);
        try
        {
            code = Run(action!, parsed, cancel.Token);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // As InvokeAsync's default exception handler reports an exception no verb expected.
            Console.Error.WriteLine("Unhandled exception: " + ex);
            code = 1;
        }
        finally
        {
            done.Set();
        }
        return true;
    }

    /// <summary>The message of a verb that did not stop within the grace period after Ctrl+C or SIGTERM.</summary>
    public static string NotStopped(TimeSpan grace) => $"secureinstall: cancelled (the work did not stop within {grace.TotalSeconds:F0} s).";

    /// <summary>Prints, on stderr, each limit the options loosen (a trust decision the user should see), unless quiet.</summary>
    public static void Announce(IEnumerable<string> loosened, bool quiet)
    {
        if (quiet) return;
        foreach (string line in loosened) Console.Error.WriteLine($"secureinstall: warning: {line}");
    }
}
