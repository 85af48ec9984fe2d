using System.CommandLine;
using SecureInstall.Core;
using SecureInstall.Core.Checksums;
using SecureInstall.Core.IO;

namespace SecureInstall.Cli;

/// <summary>`secureinstall verify`: Test-Checksum for bash. Prints "FILE: OK" or "FILE: FAILED …" per file, as sha256sum -c does.</summary>
public static class VerifyCommand
{
    public static Command Create()
    {
        var files = new Argument<string[]>("FILE") { Description = "Files to check. With --checksums and no FILE, every file the list names is checked.", Arity = ArgumentArity.ZeroOrMore };
        var sha256 = new Option<string?>("--sha256") { Description = "The expected SHA-256 (hex)." };
        var hash = new Option<string?>("--hash") { Description = "The expected digest (hex, optionally 'sha512:' prefixed); the algorithm comes from its length." };
        var checksums = new Option<string?>("--checksums", "-c") { Description = "A checksum list (SHA256SUMS, checksums.txt, .sha256 sidecar, BSD tags, …)." };
        var algorithm = new Option<ChecksumAlgorithm?>("--algorithm", "-a") { Description = "Use only this algorithm." };
        var allowWeak = new Option<bool>("--allow-weak-algorithm") { Description = "Check MD5/SHA-1 digests (they prove nothing against an attacker)." };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print nothing on success; only the exit code tells." };

        var command = new Command("verify", "Check files against a digest or a checksum list. Exit 0 all verified, 1 a file failed, 2 bad input.")
        {
            files, sha256, hash, checksums, algorithm, allowWeak, quiet,
        };
        OptionRules.OneOf(command, required: true, "give exactly one of --sha256, --hash or --checksums.", sha256, hash, checksums);
        OptionRules.SetAction(command, (parse, cancel) =>
        {
            string[] paths = parse.GetValue(files) ?? Array.Empty<string>();
            string? digest = parse.GetValue(sha256) ?? parse.GetValue(hash);
            string? listPath = parse.GetValue(checksums);
            if (digest != null && paths.Length == 0)
            {
                Console.Error.WriteLine("secureinstall: name the FILE to check against the digest.");
                return ExitCodes.UsageError;
            }
            ChecksumAlgorithm? only = parse.GetValue(algorithm);
            if (parse.GetValue(sha256) != null) only = ChecksumAlgorithm.SHA256;
            return Run(paths, digest, listPath, only, parse.GetValue(allowWeak), parse.GetValue(quiet), cancel);
        });
        return command;
    }

    /// <summary>A list this long names several files, which are hashed with the platform's implementation (see <see cref="FileHasher.WarmUpAsync"/>).</summary>
    private const long WarmUpListBytes = 4096;

    private static int Run(string[] paths, string? digest, string? listPath, ChecksumAlgorithm? algorithm, bool allowWeak, bool quiet, CancellationToken cancel)
    {
        Task? warmUp = listPath != null && paths.Length == 0 && LongerThan(listPath, WarmUpListBytes) ? FileHasher.WarmUpAsync() : null;
        try
        {
            return Check(paths, digest, listPath, algorithm, allowWeak, quiet, cancel);
        }
        finally
        {
            // Not left running into the process's exit (OpenSSL's exit handlers); a failure to load shows in the checks themselves.
            try { warmUp?.Wait(CancellationToken.None); } catch (AggregateException) { }
        }
    }

    private static bool LongerThan(string path, long bytes)
    {
        try { return new FileInfo(path).Length > bytes; }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException) { return false; }
    }

    private static int Check(string[] paths, string? digest, string? listPath, ChecksumAlgorithm? algorithm, bool allowWeak, bool quiet, CancellationToken cancel)
    {
        OpenedFolder? listFolder = null;
        try
        {
            return Check(paths, digest, listPath, algorithm, allowWeak, quiet, folder => listFolder = OpenedFolder.Open(folder), cancel);
        }
        finally
        {
            listFolder?.Dispose();
        }
    }

    /// <param name="openListFolder">Holds the list's folder open for the whole run (the caller closes it after the last file is read).</param>
    private static int Check(string[] paths, string? digest, string? listPath, ChecksumAlgorithm? algorithm, bool allowWeak, bool quiet,
        Func<string, OpenedFolder> openListFolder, CancellationToken cancel)
    {
        var targets = new List<ChecksumTarget>();
        int worst = ExitCodes.Verified;
        bool listed = false;
        try
        {
            if (digest != null)
            {
                ChecksumEntry entry = ChecksumEntry.FromDigest(digest, algorithm, "--sha256");
                targets.AddRange(paths.Select(p => new ChecksumTarget(p, entry)));
            }
            else
            {
                ChecksumList list = new ChecksumListParser().ParseFile(listPath!, cancel);
                string baseDir = Path.GetDirectoryName(Path.GetFullPath(listPath!))!;
                foreach (SkippedLine skipped in list.SkippedLines)
                {
                    if (!quiet) Console.Error.WriteLine($"secureinstall: {list.Source}, line {skipped.LineNumber}: not a checksum entry, skipped.");
                }
                if (list.IsClearSigned && !quiet)
                    Console.Error.WriteLine($"secureinstall: warning: {list.Source} is clear-signed; its signature is not checked by 'verify'.");
                if (paths.Length == 0)
                {
                    // No stat per listed file before it is read: opening it is the check (a missing file fails there and
                    // is reported in list order, as sha256sum -c does; see MissingListedFile).
                    listed = true;
                    // Each file is opened relative to the list's folder, held open (see OpenedFolder): the same files, fewer path lookups.
                    OpenedFolder folder = openListFolder(baseDir);
                    foreach (ChecksumEntry entry in list.EntriesToCheck(algorithm)) targets.Add(list.ListedTarget(entry, folder));
                }
                else
                {
                    foreach (string path in paths)
                    {
                        try { targets.Add(new ChecksumTarget(path, list.Find(path, baseDir, algorithm))); }
                        catch (ChecksumNotFoundException ex) { worst = Max(worst, ExitCodes.Report(ex)); }
                    }
                }
            }
        }
        catch (Exception ex) when (ex is SecureInstallException or IOException or UnauthorizedAccessException)
        {
            return ExitCodes.Report(ex);
        }

        var verifier = new ChecksumVerifier(new ChecksumVerifierOptions { AllowWeakAlgorithm = allowWeak });
        int ok = 0, missing = 0;
        string cwd = Directory.GetCurrentDirectory().TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        foreach (ChecksumOutcome outcome in verifier.VerifyMany(targets, cancel))
        {
            if (outcome.Result is { IsValid: true })
            {
                ok++;
                if (!quiet) Console.Out.WriteLine($"{Display(outcome.Target.Path, cwd)}: OK");
            }
            else if (listed && (outcome.Error is NotAFileException || MissingListedFile(outcome)))
            {
                // A FIFO, socket or device under a listed name is refused unread (it would block or never end): reported on its line as a missing file is.
                missing++;
                ChecksumEntry entry = outcome.Target.Expected;
                string why = outcome.Error is NotAFileException other ? $"a {other.Kind}, not a regular file" : "file missing";
                worst = Max(worst, Fail($"{entry.FileName}: FAILED open or read (listed at line {entry.LineNumber}, {why})"));
            }
            else if (outcome.Result != null)
            {
                ChecksumResult r = outcome.Result;
                worst = Max(worst, Fail($"{Display(r.Path, cwd)}: FAILED {r.Algorithm} expected {r.ExpectedHash} ({r.Source}), actual {r.ActualHash}"));
            }
            else
            {
                worst = Max(worst, ExitCodes.Report(outcome.Error!));
            }
        }
        // Every listed file counts, as sha256sum -c's warning does: one that could not be read is not left out of the total.
        if (!quiet) Console.Error.WriteLine($"secureinstall: {ok} of {targets.Count} file(s) verified{(missing > 0 ? $"; {missing} listed file(s) could not be read" : "")}.");
        return worst;
    }

    private static int Fail(string line)
    {
        Console.Out.WriteLine(line);
        return ExitCodes.VerificationFailed;
    }

    private static int Max(int a, int b) => Math.Max(a, b);

    /// <summary>
    /// A listed file whose check failed and that is not there as a file (missing, a folder, or behind a folder that cannot
    /// be searched: what File.Exists calls absent), reported as it was when existence was checked first. Asked only after
    /// a failure, so a list of present files costs no stat each.
    /// </summary>
    private static bool MissingListedFile(ChecksumOutcome outcome) => outcome.Error != null && !File.Exists(outcome.Target.Path);

    /// <summary>Paths below the current folder (<paramref name="cwd"/>, with a trailing separator) are shown relative to it, as sha256sum -c shows list names.</summary>
    private static string Display(string path, string cwd)
    {
        string full = Path.GetFullPath(path);
        return full.StartsWith(cwd, StringComparison.Ordinal) ? full.Substring(cwd.Length) : path;
    }
}
