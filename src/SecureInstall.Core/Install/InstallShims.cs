using SecureInstall.Core.IO;
using SecureInstall.Core.Manifests;

namespace SecureInstall.Core.Install;

/// <summary>
/// The shims an install writes in &lt;root&gt;/bin: which commands a tool gets (and who owns a command two tools want), whether
/// the files in their place are ours to replace, and writing them.
/// </summary>
internal static class InstallShims
{
    /// <summary>Paths inside the installed tree that are executables: the manifest's bin, or the file itself for a plain binary; none for an installer (run, not put on PATH).</summary>
    public static IReadOnlyList<string> ExecutablesOf(PinnedArtifact artifact) =>
        artifact.Installer != null ? Array.Empty<string>() : artifact.Executables.Count == 0 && ToolInstaller.KindOf(artifact) == ArtifactKind.Binary ? new[] { BinaryFileName(artifact) } : artifact.Executables;

    /// <summary>
    /// The name a plain binary is placed under, which names its command: the manifest's one bin entry when it is a file name
    /// (bin: tool for a release asset called tool_1.2.3_linux_amd64), else the file name of its URL.
    /// </summary>
    public static string BinaryFileName(PinnedArtifact artifact) =>
        artifact.Executables.Count == 1 && artifact.Executables[0].IndexOfAny(new[] { '/', '\\' }) < 0 ? artifact.Executables[0] : ToolInstaller.FileNameOf(artifact.Url);

    /// <summary>
    /// The shims a tool gets: one per executable, named by its file name. Two tools of the manifest wanting the same command
    /// is refused (ShimConflict), unless one of them lists it in owns_shims: then only that one gets it (issue 17 #11).
    /// </summary>
    public static SortedDictionary<string, string> CommandsFor(PinnedManifest manifest, PinnedTool tool, IReadOnlyList<string> executables, string platform)
    {
        var commands = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (string exe in executables)
        {
            string name = InstallRootLayout.ShimName(exe);
            if (name.Length == 0 || name.StartsWith(".", StringComparison.Ordinal))
                throw new InstallException(ErrorIds.ManifestInvalid, FailureKind.InvalidData, tool.Name, $"{manifest.Source}: {tool.Name}: bin '{exe}' cannot name a command (its file name is empty or starts with a dot).");
            if (commands.Keys.FirstOrDefault(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase)) is { } same)
                throw new InstallException(ErrorIds.ShimConflict, FailureKind.Security, tool.Name,
                    $"{manifest.Source}: {tool.Name} has two bin entries for the command '{name}' ({commands[same]} and {exe}); each command starts one executable.");
            commands[name] = exe;
        }
        foreach (PinnedTool other in manifest.Tools.Where(t => !ReferenceEquals(t, tool)))
        {
            IEnumerable<string> theirs = other.Versions.Select(v => v.ArtifactFor(platform)).Where(a => a != null)
                .SelectMany(a => ExecutablesOf(a!)).Select(InstallRootLayout.ShimName);
            foreach (string name in theirs.Distinct(StringComparer.OrdinalIgnoreCase))
            {
                string? mine = commands.Keys.FirstOrDefault(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase));
                if (mine == null) continue;
                PinnedTool? owner = manifest.Tools.FirstOrDefault(t => t.OwnsShims.Contains(name, StringComparer.OrdinalIgnoreCase));
                if (owner == null)
                    throw new InstallException(ErrorIds.ShimConflict, FailureKind.Security, tool.Name,
                        $"{manifest.Source}: {tool.Name} and {other.Name} both have a bin entry named '{name}', so each would take the command over from the other. " +
                        $"Say which tool owns it with owns_shims: [{name}] on that tool.");
                if (!ReferenceEquals(owner, tool)) commands.Remove(mine);
            }
        }
        return commands;
    }

    /// <summary>
    /// Refuses to replace a file in the shim folder that is not a shim this tool wrote (another tool's, a user's own
    /// script, an edited shim), unless the manifest says this tool owns the command (owns_shims).
    /// </summary>
    public static void CheckOurs(string root, InstallPlan plan, Action<string>? log)
    {
        foreach (string name in plan.ShimCommands.Keys)
        {
            string shim = InstallRootLayout.ShimPath(root, name);
            if (!UnixFileSystem.TryGetEntry(shim, out _)) continue;
            var owner = InstallRootLayout.ShimOwner(root, shim);
            if (owner != null && owner.Value.Tool == plan.Tool) continue;
            string what = owner == null ? "a file SecureInstall did not write (or changed since)" : $"the shim of {owner.Value.Tool} {owner.Value.Version}";
            if (plan.OwnedShims.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                log?.Invoke($"{shim} is {what}; {plan.Tool} owns the command '{name}' (owns_shims), so its shim replaces it.");
                continue;
            }
            throw new InstallException(ErrorIds.ShimConflict, FailureKind.Security, shim,
                $"{plan.Tool} {plan.Version} would write the shim {shim}, which is {what}. Nothing was installed. " +
                $"Remove that file, or say in the manifest that {plan.Tool} owns the command: owns_shims: [{name}].");
        }
    }

    /// <summary>Writes (or rewrites) the plan's shims in &lt;root&gt;/bin, each rwxr-xr-x.</summary>
    public static void Write(string root, InstallPlan plan)
    {
        if (plan.ShimCommands.Count == 0) return;
        UnixFileSystem.CreateDirectory(Path.Combine(root, "bin"), 0x1ED /* 0755 whatever the umask */);
        foreach (var command in plan.ShimCommands)
        {
            string target = RelativePath.Combine(plan.TargetDirectory, command.Value);
            string shim = InstallRootLayout.ShimPath(root, command.Key);
            AtomicFile.WriteAllText(shim, InstallRootLayout.ShimContent(plan.Tool, plan.Version, target));
            UnixFileSystem.SetExecutable(shim, true);
        }
    }
}
