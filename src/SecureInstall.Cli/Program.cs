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

    public static int Main(string[] args)
    {
        var root = new RootCommand("SecureInstall: verified downloads, checksums and safe installs.\nExit codes: 0 verified, 1 verification failed, 2 usage or input error.");
        root.Add(VerifyCommand.Create());
        root.Add(ChecksumsCommand.Create());
        root.Add(ExtractCommand.Create());
        root.Add(GetCommand.Create());
        root.Add(VerifySignatureCommand.Create());
        root.Add(VerifyBundleCommand.Create());
        root.Add(InstallCommand.Create());
        root.Add(PushCommand.Create());
        root.Add(VerifyInstalledCommand.Create());
        root.Add(RunScriptCommand.Create());
        root.Add(AddCommand.Create());
        root.Add(InstallModuleCommand.Create());
        root.Add(TestModuleCommand.Create());
        root.Add(UpdateModuleCommand.Create());

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
        var invocation = new InvocationConfiguration { ProcessTerminationTimeout = TerminationGrace };
        int code = parsed.InvokeAsync(invocation, CancellationToken.None).GetAwaiter().GetResult();
        if (code is 130 or 143)
        {
            System.Console.Error.WriteLine($"secureinstall: cancelled (the work did not stop within {TerminationGrace.TotalSeconds:F0} s).");
            return ExitCodes.UsageError;
        }
        return code;
    }
}
