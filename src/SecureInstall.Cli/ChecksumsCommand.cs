using System.CommandLine;
using SecureInstall.Core.Checksums;

namespace SecureInstall.Cli;

/// <summary>`secureinstall checksums FILE… > checksums.txt`: New-ChecksumFile for bash.</summary>
public static class ChecksumsCommand
{
    public static Command Create()
    {
        var files = new Argument<string[]>("FILE") { Description = "Files to list.", Arity = ArgumentArity.OneOrMore };
        var algorithm = new Option<ChecksumAlgorithm>("--algorithm", "-a") { Description = "Digest algorithm.", DefaultValueFactory = _ => ChecksumAlgorithm.SHA256 };
        var format = new Option<ChecksumListFormat>("--format", "-f") { Description = "gnu: 'hex  name'; bsd: 'SHA256 (name) = hex'.", DefaultValueFactory = _ => ChecksumListFormat.Gnu };
        var output = new Option<string?>("--output", "-o") { Description = "Write the list to this file (atomically) instead of standard output." };

        var command = new Command("checksums", "Write a checksum list for files: sorted, LF endings, UTF-8 without BOM.") { files, algorithm, format, output };
        OptionRules.SetAction(command, (parse, cancel) =>
        {
            string[] paths = parse.GetValue(files)!;
            string? outFile = parse.GetValue(output);
            string listDir = outFile == null ? Directory.GetCurrentDirectory() : Path.GetDirectoryName(Path.GetFullPath(outFile))!;
            try
            {
                foreach (string p in paths.Where(Directory.Exists)) throw new Core.IO.PathIsDirectoryException(p);
                foreach (string p in paths.Where(p => !File.Exists(p))) throw new FileNotFoundException($"'{p}' does not exist.", p);
                string text = new ChecksumListWriter().Write(
                    paths.Select(p => new ChecksumListItem(p, ChecksumListWriter.NameFor(p, listDir))), parse.GetValue(algorithm), parse.GetValue(format), cancel);
                if (outFile == null)
                {
                    using Stream stdout = Console.OpenStandardOutput();
                    byte[] bytes = new System.Text.UTF8Encoding(false).GetBytes(text);
                    stdout.Write(bytes, 0, bytes.Length);
                }
                else
                {
                    ChecksumListWriter.Save(text, outFile);
                }
                return ExitCodes.Verified;
            }
            catch (Exception ex) when (ex is Core.SecureInstallException or IOException or UnauthorizedAccessException or ArgumentException)
            {
                return ex is ArgumentException ? Usage(ex) : ExitCodes.Report(ex);
            }
        });
        return command;
    }

    private static int Usage(Exception ex)
    {
        Console.Error.WriteLine($"secureinstall: {ex.Message}");
        return ExitCodes.UsageError;
    }
}
