using System.CommandLine;
using System.Threading.Tasks;

namespace SecureInstall.Cli;

/// <summary>
/// The `secureinstall` command: the module's core for bash CI steps and machines with only the .NET SDK.
/// Exit codes: 0 verified, 1 verification failed, 2 usage or input error.
/// </summary>
public static class Program
{
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
        root.Add(VerifyInstalledCommand.Create());
        root.Add(RunScriptCommand.Create());

        ParseResult parsed = root.Parse(args);
        if (parsed.Errors.Count > 0 && parsed.Action is not System.CommandLine.Help.HelpAction)
        {
            foreach (var error in parsed.Errors) System.Console.Error.WriteLine($"secureinstall: {error.Message}");
            System.Console.Error.WriteLine("Run 'secureinstall --help' for usage.");
            return ExitCodes.UsageError;
        }
        // InvokeAsync: System.CommandLine turns Ctrl+C and SIGTERM into the token each verb's action is handed (OptionRules.SetAction).
        return parsed.InvokeAsync().GetAwaiter().GetResult();
    }
}
