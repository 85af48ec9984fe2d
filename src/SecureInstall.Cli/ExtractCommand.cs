using System.CommandLine;
using SecureInstall.Core.Archives;
using SecureInstall.Core.Checksums;

namespace SecureInstall.Cli;

/// <summary>`secureinstall extract ARCHIVE DEST`: Expand-VerifiedArchive for bash.</summary>
public static class ExtractCommand
{
    public static Command Create()
    {
        var archive = new Argument<string>("ARCHIVE") { Description = "A .zip, .tar, .tar.gz, .tar.xz, .tar.bz2 or .tar.zst (format read from the content)." };
        var destination = new Argument<string>("DEST") { Description = "The folder to create; it must not exist unless --force." };
        var sha256 = new Option<string?>("--sha256") { Description = "The archive's published SHA-256; checked before anything is extracted." };
        var force = new Option<bool>("--force") { Description = "Replace an existing DEST once the whole archive has been extracted beside it." };
        var strip = new Option<int>("--strip-components") { Description = "Leading folders to drop from every entry." };
        var include = new Option<string[]>("--include") { Description = "Write only entries matching this pattern (repeatable; * ? within a name, ** across folders).", AllowMultipleArgumentsPerToken = false };
        var maxBytes = new Option<long>("--max-total-bytes") { Description = "Most bytes written in total.", DefaultValueFactory = _ => ArchiveExtractionOptions.DefaultMaxTotalBytes };
        var maxEntries = new Option<int>("--max-entries") { Description = "Most entries.", DefaultValueFactory = _ => ArchiveExtractionOptions.DefaultMaxEntryCount };
        var maxRatio = new Option<int>("--max-ratio") { Description = "Most bytes written per compressed byte read.", DefaultValueFactory = _ => ArchiveExtractionOptions.DefaultMaxCompressionRatio };
        var maxDepth = new Option<int>("--max-depth") { Description = "Most folder levels of one entry.", DefaultValueFactory = _ => ArchiveExtractionOptions.DefaultMaxDepth };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print nothing on success." };

        var command = new Command("extract", "Extract an archive safely: every entry checked, limits enforced, all or nothing.")
        {
            archive, destination, sha256, force, strip, include, maxBytes, maxEntries, maxRatio, maxDepth, quiet,
        };
        OptionRules.SetAction(command, (parse, cancel) =>
        {
            try
            {
                string? digest = parse.GetValue(sha256);
                var options = new ArchiveExtractionOptions
                {
                    ExpectedDigest = digest == null ? null : ChecksumEntry.FromDigest(digest, ChecksumAlgorithm.SHA256, "--sha256"),
                    Overwrite = parse.GetValue(force),
                    StripComponents = parse.GetValue(strip),
                    Include = parse.GetValue(include) ?? Array.Empty<string>(),
                    MaxTotalBytes = parse.GetValue(maxBytes),
                    MaxEntryCount = parse.GetValue(maxEntries),
                    MaxCompressionRatio = parse.GetValue(maxRatio),
                    MaxDepth = parse.GetValue(maxDepth),
                };
                string path = parse.GetValue(archive)!;
                if (!File.Exists(path) && !Directory.Exists(path)) throw new FileNotFoundException($"'{path}' does not exist.", path);
                OptionRules.Announce(Core.LoosenedLimits.Of(options, name => name switch
                {
                    nameof(options.MaxTotalBytes) => maxBytes.Name,
                    nameof(options.MaxEntryCount) => maxEntries.Name,
                    nameof(options.MaxCompressionRatio) => maxRatio.Name,
                    nameof(options.MaxDepth) => maxDepth.Name,
                    _ => name,
                }), parse.GetValue(quiet));
                ArchiveExtractionResult result = new SafeArchiveExtractor(options).Extract(path, parse.GetValue(destination)!, null, cancel);
                if (!parse.GetValue(quiet))
                {
                    foreach (ExtractedEntry entry in result.Entries)
                        Console.Out.WriteLine(entry.LinkTarget == null ? entry.Name : $"{entry.Name} -> {entry.LinkTarget}");
                    Console.Error.WriteLine($"secureinstall: extracted {result.Entries.Count} entries ({result.TotalBytes} bytes, {result.Format}) to {result.DestinationPath}"
                                            + (result.Sha256 == null ? "" : $"; SHA-256 {result.Sha256} verified"));
                }
                return ExitCodes.Verified;
            }
            catch (Exception ex) when (ex is Core.SecureInstallException or IOException or UnauthorizedAccessException)
            {
                return ExitCodes.Report(ex);
            }
            catch (ArgumentException ex)
            {
                Console.Error.WriteLine($"secureinstall: {ex.Message}");
                return ExitCodes.UsageError;
            }
        });
        return command;
    }
}
