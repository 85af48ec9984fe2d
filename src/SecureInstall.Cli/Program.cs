using System.CommandLine;

namespace SecureInstall.Cli;

/// <summary>
/// The `secureinstall` command: the module's core for bash CI steps and machines with only the .NET SDK.
/// Exit codes: 0 verified, 1 verification failed, 2 usage or input error.
/// </summary>
public static class Program
{
    /// <summary>How long a verb has to stop after Ctrl+C or SIGTERM before the process ends anyway.</summary>
    internal static readonly System.TimeSpan TerminationGrace = System.TimeSpan.FromSeconds(60);

    /// <summary>The verbs, in the order `secureinstall --help` lists them.</summary>
    private static readonly (string Name, Func<Command> Create)[] Verbs =
    [
        ("verify", VerifyCommand.Create),
        ("checksums", ChecksumsCommand.Create),
        ("extract", ExtractCommand.Create),
        ("get", GetCommand.Create),
        ("verify-signature", VerifySignatureCommand.Create),
        ("verify-bundle", VerifyBundleCommand.Create),
        ("install", InstallCommand.Create),
        ("push", PushCommand.Create),
        ("verify-installed", VerifyInstalledCommand.Create),
        ("run-script", RunScriptCommand.Create),
        ("add", AddCommand.Create),
        ("install-module", InstallModuleCommand.Create),
        ("test-module", TestModuleCommand.Create),
        ("update-module", UpdateModuleCommand.Create),
        ("uninstall-module", UninstallModuleCommand.Create),
        ("save-module", SaveModuleCommand.Create),
    ];

    public static int Main(string[] args)
    {
        var root = new RootCommand("SecureInstall: verified downloads, checksums and safe installs.\nExit codes: 0 verified, 1 verification failed, 2 usage or input error.");
        // Only the verb being run is built when the first argument names one: building all fourteen, with their options
        // and validators, is start-up time every call pays (issue 23: one small file checked by the native binary). Anything else (help, --version, a typo that needs the
        // other verbs for its suggestion) gets the whole tree. A name in Verbs that its command does not carry falls back too.
        Command? invoked = null;
        if (args.Length > 0)
        {
            foreach ((string name, Func<Command> create) in Verbs)
            {
                if (name == args[0]) { invoked = create(); break; }
            }
        }
        if (invoked != null && invoked.Name == args[0]) root.Add(invoked);
        else foreach ((_, Func<Command> create) in Verbs) root.Add(create());

        ParseResult parsed = root.Parse(args);
        if (parsed.Errors.Count > 0 && parsed.Action is not System.CommandLine.Help.HelpAction)
        {
            foreach (var error in parsed.Errors) System.Console.Error.WriteLine($"secureinstall: {error.Message}");
            System.Console.Error.WriteLine("Run 'secureinstall --help' for usage.");
            return ExitCodes.UsageError;
        }
        // InvokeAsync: System.CommandLine turns Ctrl+C and SIGTERM into the token each verb's action is handed (OptionRules.SetAction).
        // Its default is to give the action 2 s and then exit 130/143 while the work runs on: an install would be dropped between
        // swapping the tree in and recording the lock. Our verbs stop promptly on the token and clean up (staging folders,
        // temporary files); they get the time to, and the exit code stays in the documented 0/1/2.
        if (OptionRules.TryRunHere(parsed, TerminationGrace, out int direct)) return direct;
        var invocation = new InvocationConfiguration { ProcessTerminationTimeout = TerminationGrace };
        int code = parsed.InvokeAsync(invocation, CancellationToken.None).GetAwaiter().GetResult();
        if (code is 130 or 143)
        {
            System.Console.Error.WriteLine(OptionRules.NotStopped(TerminationGrace));
            return ExitCodes.UsageError;
        }
        return code;
    }
}
