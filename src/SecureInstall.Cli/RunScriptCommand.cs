using System.CommandLine;
using System.Diagnostics;
using SecureInstall.Core;
using SecureInstall.Core.Checksums;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.IO;
using SecureInstall.Core.Scripts;

namespace SecureInstall.Cli;

/// <summary>
/// `secureinstall run-script URI --sha256 HEX -- args`: Invoke-VerifiedScript for bash. The verified text is written
/// to a private folder (UTF-8 with a BOM unless its own BOM reads the same everywhere) and run with pwsh (or Windows
/// PowerShell); the exit code is the script's.
/// </summary>
public static class RunScriptCommand
{
    public static Command Create()
    {
        var uri = new Argument<string>("URI") { Description = "The script's URI (https:// or file://)." };
        var scriptArgs = new Argument<string[]>("ARGS") { Description = "Arguments for the script, after --.", Arity = ArgumentArity.ZeroOrMore };
        var sha256 = new Option<string?>("--sha256") { Description = "The script's expected SHA-256 (hex)." };
        var tofu = new Option<bool>("--trust-on-first-use") { Description = "Compare with the pin recorded on an earlier run; the first run records it." };
        var accept = new Option<bool>("--accept") { Description = "With --trust-on-first-use: run a changed script and re-pin it (review the diff first)." };
        var pinStore = new Option<string?>("--pin-store") { Description = "The pin store file (default: $SECUREINSTALL_SCRIPT_PINS, or per user)." };
        var inspect = new Option<bool>("--inspect") { Description = "Print the verified script (control and bidi characters as escapes) and its digest; do not run it." };
        var insecure = new Option<bool>("--allow-insecure-transport") { Description = "Fetch an http:// URI (redirects from https to http stay refused)." };

        var command = new Command("run-script", "Download a PowerShell script, verify it (pinned digest or trust on first use), and run exactly the verified bytes with pwsh. Exit: the script's code; 1 verification failed; 2 bad input or network failure.")
        {
            uri, scriptArgs, sha256, tofu, accept, pinStore, inspect, insecure,
        };
        OptionRules.OneOf(command, required: true, "give exactly one of --sha256 and --trust-on-first-use.", sha256, tofu);
        OptionRules.SetAction(command, (parse, cancel) =>
        {
            VerifiedScript script;
            try
            {
                string text = parse.GetValue(uri)!;
                var request = new ScriptRequest(Uri.TryCreate(text, UriKind.Absolute, out Uri? parsed) ? parsed : new Uri(Path.GetFullPath(text)));
                if (parse.GetValue(sha256) is string hex) request.Expected = ChecksumEntry.FromDigest(hex, ChecksumAlgorithm.SHA256, "--sha256");
                request.TrustOnFirstUse = parse.GetValue(tofu);
                request.Accept = parse.GetValue(accept);
                request.PinStorePath = parse.GetValue(pinStore) is string store ? Path.GetFullPath(store) : null;
                var options = new VerifiedDownloaderOptions { AllowInsecureTransport = parse.GetValue(insecure) };
                OptionRules.Announce(LoosenedLimits.Of(options, name => name == nameof(options.AllowInsecureTransport) ? insecure.Name : name), quiet: false);
                script = new ScriptFetcher(options).FetchAsync(request, cancel).GetAwaiter().GetResult();
            }
            catch (ScriptChangedException ex)
            {
                int code = ExitCodes.Report(ex);
                Console.Error.Write(ex.Diff);
                return code;
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                Console.Error.WriteLine("secureinstall: cancelled; nothing was run.");
                return ExitCodes.UsageError;
            }
            catch (Exception ex) when (ex is SecureInstallException or IOException or UnauthorizedAccessException or ArgumentException or UriFormatException)
            {
                return ExitCodes.Report(ex);
            }

            Console.Error.WriteLine($"secureinstall: {UriText.Redact(script.FinalUri)}: OK sha256:{script.Sha256} ({script.DigestSource})");
            if (parse.GetValue(inspect))
            {
                // For a person to read: control and bidi characters as escapes, so no line can hide (ScriptText.ForReview).
                Console.Out.Write(script.ReviewText);
                return ExitCodes.Verified;
            }
            string? shell = FindPowerShell();
            if (shell == null)
            {
                Console.Error.WriteLine($"secureinstall: {ErrorIds.PowerShellNotFound}: neither pwsh nor powershell is on PATH; nothing was run.");
                return ExitCodes.UsageError;
            }
            if (script.PinPending)
            {
                ScriptFetcher.RecordPin(script, DateTimeOffset.UtcNow);
                Console.Error.WriteLine($"secureinstall: warning: {(script.Trust == ScriptTrust.FirstUse ? "first use" : "re-pinned")}: sha256:{script.Sha256} is now pinned in {script.PinStore}.");
            }
            return Run(shell, script, parse.GetValue(scriptArgs) ?? Array.Empty<string>());
        });
        return command;
    }

    private static int Run(string shell, VerifiedScript script, string[] arguments)
    {
        // A folder only this user can enter (mkdtemp: created 0700, under a fresh name), so nobody can swap the verified
        // file between the write and the run; the file itself is 0600 and goes with the folder when the script ends.
        DirectoryInfo folder = Directory.CreateTempSubdirectory("secureinstall-run-");
        try
        {
            string file = Path.Combine(folder.FullName, "script.ps1");
            var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows()) create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            using (var stream = new FileStream(file, create))
            {
                // The text that was hashed and shown, as UTF-8 with a BOM unless its own BOM already decodes the same:
                // Windows PowerShell reads a BOM-less file in the ANSI code page, so what ran could differ from what was reviewed.
                byte[] bytes = script.GetScriptFileBytes();
                stream.Write(bytes, 0, bytes.Length);
            }
            var start = new ProcessStartInfo(shell) { UseShellExecute = false };
            foreach (string a in new[] { "-NoProfile", "-NonInteractive", "-File", file }) start.ArgumentList.Add(a);
            foreach (string a in arguments) start.ArgumentList.Add(a);
            using Process process = Process.Start(start) ?? throw new InvalidOperationException($"Cannot start {shell}.");
            process.WaitForExit();
            return process.ExitCode;
        }
        finally
        {
            BestEffort.DeleteTree(folder.FullName);
        }
    }

    private static string? FindPowerShell()
    {
        foreach (string name in new[] { "pwsh", "powershell" })
        {
            foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator))
            {
                if (dir.Length == 0) continue;
                foreach (string candidate in new[] { Path.Combine(dir, name), Path.Combine(dir, name + ".exe") })
                    if (File.Exists(candidate)) return candidate;
            }
        }
        return null;
    }
}
